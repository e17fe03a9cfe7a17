#include "mirror/offset_sync_store.h"

#include <gtest/gtest.h>
#include <limits>
#include <random>

namespace kmirror::mirror {
namespace {

const std::string kTopic = "topic1";

void sync(OffsetSyncStore& store, int64_t upstream, int64_t downstream, int32_t partition = 0) {
    store.handle(OffsetSync{kTopic, partition, upstream, downstream});
}

// (u, u) for u = from, from + step, ..., to.
void sync_range(OffsetSyncStore& store, int64_t from, int64_t to, int64_t step) {
    for (int64_t u = from; u <= to; u += step) {
        sync(store, u, u);
    }
}

std::vector<int64_t> retained_upstreams(const OffsetSyncStore& store, int32_t partition = 0) {
    std::vector<int64_t> out;
    for (const auto& s : store.retained_syncs(kTopic, partition)) {
        out.push_back(s.upstream_offset);
    }
    return out;
}

struct TranslationCase {
    int64_t upstream;
    std::optional<int64_t> expected;
};

void expect_translations(const OffsetSyncStore& store, const std::vector<TranslationCase>& cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(store.translate_downstream(kTopic, 0, c.upstream), c.expected)
            << "translate(" << c.upstream << ")";
    }
}

// Spec §5.2 vector 1: only the last sync of the initial load survives, then exponential spacing.
OffsetSyncStore vector1_store() {
    OffsetSyncStore store(/*initialization_must_read_to_end=*/true);
    sync_range(store, 0, 1000, 10);
    store.mark_read_to_end();
    sync_range(store, 1010, 10000, 10);
    return store;
}

TEST(OffsetSyncStoreTest, PublishedVector1MustReadToEnd) {
    const OffsetSyncStore store = vector1_store();
    EXPECT_EQ(retained_upstreams(store), (std::vector<int64_t>{10000, 9990, 9970, 9940, 9880, 9640,
                                                               9160, 8680, 6760, 4840, 1000}));
    expect_translations(store, {
                                   {1000, 1000},
                                   {999, -1},
                                   {4839, 1001},
                                   {9999, 9991},
                                   {10002, 10001},
                               });
}

TEST(OffsetSyncStoreTest, PublishedVector2UpstreamRewindClearsHistory) {
    OffsetSyncStore store = vector1_store();
    sync(store, 1500, 11000);
    EXPECT_EQ(retained_upstreams(store), (std::vector<int64_t>{1500}));
    expect_translations(store, {
                                   {1499, -1},
                                   {1500, 11000},
                                   {2000, 11001},
                               });
}

TEST(OffsetSyncStoreTest, PublishedVector3KeepsHistoryWhileLoading) {
    OffsetSyncStore store(/*initialization_must_read_to_end=*/false);
    sync_range(store, 0, 1000, 10);
    store.mark_read_to_end();
    sync_range(store, 1000, 10000, 10);
    EXPECT_EQ(retained_upstreams(store), (std::vector<int64_t>{10000, 9990, 9960, 9900, 9840, 9600,
                                                               9120, 8640, 7680, 3840, 0}));
    expect_translations(store, {
                                   {3839, 1},
                                   {0, 0},
                                   {10000, 10000},
                               });
}

TEST(OffsetSyncStoreTest, NoTranslationBeforeReadToEnd) {
    for (bool must_read_to_end : {true, false}) {
        OffsetSyncStore store(must_read_to_end);
        sync(store, 100, 50);
        EXPECT_FALSE(store.read_to_end());
        EXPECT_EQ(store.translate_downstream(kTopic, 0, 100), std::nullopt);
        store.mark_read_to_end();
        EXPECT_TRUE(store.read_to_end());
        EXPECT_EQ(store.translate_downstream(kTopic, 0, 100), 50);
    }
}

TEST(OffsetSyncStoreTest, NoTranslationWithoutSyncForPartition) {
    OffsetSyncStore store(false);
    store.mark_read_to_end();
    sync(store, 100, 50, /*partition=*/1);
    EXPECT_EQ(store.translate_downstream(kTopic, 0, 100), std::nullopt);
    EXPECT_EQ(store.translate_downstream("other", 1, 100), std::nullopt);
    EXPECT_EQ(store.translate_downstream(kTopic, 1, 100), 50);
}

TEST(OffsetSyncStoreTest, TranslationRules) {
    OffsetSyncStore store(false);
    store.mark_read_to_end();
    sync(store, 100, 40);
    sync(store, 200, 140);
    expect_translations(store, {
                                   {99, -1},   // before every sync: too far in the past
                                   {100, 40},  // exactly at a sync: exact
                                   {101, 41},  // past a sync: one past the synced record
                                   {199, 41},  // never interpolated
                                   {200, 140}, // latest sync
                                   {5000, 141},
                               });
}

TEST(OffsetSyncStoreTest, PartitionsAreIndependent) {
    OffsetSyncStore store(false);
    store.mark_read_to_end();
    sync(store, 10, 1, 0);
    sync(store, 20, 2, 1);
    sync(store, 5, 3, 0); // rewind on partition 0 only
    EXPECT_EQ(store.translate_downstream(kTopic, 0, 10), 4);
    EXPECT_EQ(store.translate_downstream(kTopic, 1, 20), 2);
}

TEST(OffsetSyncStoreTest, MustReadToEndKeepsOnlyLatestDuringLoad) {
    OffsetSyncStore store(true);
    sync_range(store, 0, 500, 10);
    store.mark_read_to_end();
    EXPECT_EQ(retained_upstreams(store), (std::vector<int64_t>{500}));
    EXPECT_EQ(store.translate_downstream(kTopic, 0, 499), -1);
}

TEST(OffsetSyncStoreTest, RepeatedSyncIsKeptAsItsOwnEntry) {
    // A sync received twice is two entries (identity, not value equality), and neither pushes
    // the older history out.
    OffsetSyncStore store(false);
    store.mark_read_to_end();
    sync(store, 0, 0);
    sync(store, 100, 100);
    sync(store, 100, 100);
    EXPECT_EQ(retained_upstreams(store), (std::vector<int64_t>{100, 100, 0}));
    EXPECT_EQ(store.translate_downstream(kTopic, 0, 50), 1);
}

TEST(OffsetSyncStoreTest, OffsetsNearInt64MaxDoNotOverflow) {
    OffsetSyncStore store(false);
    store.mark_read_to_end();
    const int64_t top = std::numeric_limits<int64_t>::max();
    for (int64_t k = 1000; k >= 0; k -= 10) {
        sync(store, top - k, top - k);
    }
    EXPECT_EQ(store.translate_downstream(kTopic, 0, top), top);
    EXPECT_EQ(store.translate_downstream(kTopic, 0, top - 1), top - 10 + 1);
    EXPECT_EQ(store.translate_downstream(kTopic, 0, top - 1001), -1);
    const auto kept = retained_upstreams(store);
    ASSERT_FALSE(kept.empty());
    EXPECT_TRUE(std::is_sorted(kept.rbegin(), kept.rend()));
}

TEST(OffsetSyncStoreTest, TranslationIsMonotonicAndNeverAhead) {
    // Whatever is forgotten, a later group offset never translates to an earlier downstream
    // offset, and never past one beyond the latest synced record.
    std::mt19937_64 rng(42);
    OffsetSyncStore store(false);
    store.mark_read_to_end();
    int64_t upstream = 0;
    int64_t downstream = 0;
    for (int i = 0; i < 5000; ++i) {
        upstream += 1 + static_cast<int64_t>(rng() % 50);
        downstream += 1 + static_cast<int64_t>(rng() % 40);
        sync(store, upstream, downstream);
    }
    const auto kept = retained_upstreams(store);
    EXPECT_LE(kept.size(), 64U);
    EXPECT_TRUE(std::is_sorted(kept.rbegin(), kept.rend()));
    std::optional<int64_t> previous;
    for (int64_t g = 0; g <= upstream + 10; g += 7) {
        auto t = store.translate_downstream(kTopic, 0, g);
        ASSERT_TRUE(t.has_value());
        if (previous) {
            EXPECT_GE(*t, *previous) << "g=" << g;
        }
        EXPECT_LE(*t, downstream + 1);
        previous = t;
    }
}

} // namespace
} // namespace kmirror::mirror
