// Offset runs (offset_runs.h): the record format of `kmirror-offset-runs.<source>.internal`, the
// changes written to it, and a translator rebuilt from it plus what compaction left of the
// offset syncs translating exactly as the one that saw every sync.
#include "mirror/offset_runs.h"
#include "mirror/offset_translator.h"

#include <cctype>
#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::mirror {
namespace {

using Kind = TranslationKind;
using Syncs = std::vector<std::pair<int64_t, int64_t>>; // (upstream, downstream)

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xF];
    }
    return out;
}

// ---- Record format --------------------------------------------------------------------------

TEST(OffsetRuns, TopicNameFollowsTheOtherKmirrorTopics) {
    EXPECT_EQ(offset_runs_topic("source"), "kmirror-offset-runs.source.internal");
}

TEST(OffsetRuns, KeyAndValueBytes) {
    const OffsetRun run{"ab", 3, 258, 300, 7, RunKind::constant, 65};
    auto key = encode_run_key(run);
    auto value = encode_run_value(run);
    ASSERT_TRUE(key && value);
    // version 0 | "ab" | partition 3 | upstream_lo 258
    EXPECT_EQ(hex(*key), "0000"
                         "00026162"
                         "00000003"
                         "0000000000000102");
    // version 0 | upstream_hi 300 | downstream_lo 7 | kind 1 | through 65
    EXPECT_EQ(hex(*value), "0000"
                           "000000000000012c"
                           "0000000000000007"
                           "01"
                           "0000000000000041");
}

struct RoundTripCase {
    const char* name;
    OffsetRun run;
};

class RunRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(RunRoundTrip, DecodesWhatItEncodes) {
    const auto& run = GetParam().run;
    auto key = encode_run_key(run);
    auto value = encode_run_value(run);
    ASSERT_TRUE(key) << key.error().message;
    ASSERT_TRUE(value) << value.error().message;
    auto back = decode_run(*key, *value);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, run);
    auto k = decode_run_key(*key);
    ASSERT_TRUE(k);
    EXPECT_EQ(*k, (OffsetRunKey{run.topic, run.partition, run.upstream_lo}));
}

const RoundTripCase kRoundTrips[] = {
    {"dense", {"orders", 0, 0, 299, 0, RunKind::dense, 12}},
    {"hole", {"orders", 7, 10, 19, 10, RunKind::constant, 40}},
    {"point", {"t.with-dots_", 2147483647, 5, 5, 1, RunKind::constant, 0}},
    {"through unknown", {"x", 1, 1, 2, 3, RunKind::dense, -1}},
    {"large offsets", {"x", 0, 1LL << 40, (1LL << 40) + 5, 1LL << 41, RunKind::dense, 1LL << 33}},
    {"empty topic name", {"", 0, 0, 0, 0, RunKind::constant, 1}},
};

std::string round_trip_name(const ::testing::TestParamInfo<RoundTripCase>& info) {
    std::string n = info.param.name;
    for (auto& ch : n) {
        if (std::isalnum(static_cast<unsigned char>(ch)) == 0) {
            ch = '_';
        }
    }
    return n;
}

INSTANTIATE_TEST_SUITE_P(Cases, RunRoundTrip, ::testing::ValuesIn(kRoundTrips), round_trip_name);

TEST(OffsetRuns, RejectsBadRecords) {
    const OffsetRun run{"t", 0, 10, 20, 5, RunKind::dense, 3};
    const std::string key = *encode_run_key(run);
    const std::string value = *encode_run_value(run);
    struct Bad {
        const char* name;
        std::string key;
        std::string value;
    };
    std::string bad_kind = value;
    bad_kind[18] = 7;
    std::string bad_version = value;
    bad_version[1] = 1;
    std::string bad_key_version = key;
    bad_key_version[1] = 1;
    std::string hi_below_lo = *encode_run_value(OffsetRun{"t", 0, 0, 0, 5, RunKind::dense, 3});
    const std::vector<Bad> cases = {
        {"truncated key", key.substr(0, key.size() - 1), value},
        {"truncated value", key, value.substr(0, value.size() - 1)},
        {"empty value", key, ""},
        {"unknown kind", key, bad_kind},
        {"unknown value version", key, bad_version},
        {"unknown key version", bad_key_version, value},
        {"hi below lo", key, hi_below_lo}, // key says lo 10, value says hi 0
    };
    for (const auto& c : cases) {
        EXPECT_FALSE(decode_run(c.key, c.value)) << c.name;
    }
    EXPECT_FALSE(encode_run_value(OffsetRun{"t", 0, 5, 4, 0, RunKind::dense, 0}));
    EXPECT_FALSE(encode_run_key(OffsetRun{std::string(40000, 'x'), 0, 0, 0, 0, RunKind::dense, 0}));
}

// ---- Changes to write -----------------------------------------------------------------------

OffsetRun R(int64_t lo, int64_t hi, int64_t d, RunKind k, int64_t through, int32_t partition = 0,
            const std::string& topic = "t") {
    return OffsetRun{topic, partition, lo, hi, d, k, through};
}

struct DiffCase {
    const char* name;
    std::vector<OffsetRun> persisted;
    std::vector<OffsetRun> current;
    std::vector<RunChange> expected;
};

class RunsDiff : public ::testing::TestWithParam<DiffCase> {};

TEST_P(RunsDiff, WritesOnlyWhatChanged) {
    const auto& c = GetParam();
    PersistedRuns persisted;
    for (const auto& r : c.persisted) {
        persisted.apply_record({r.topic, r.partition, r.upstream_lo}, r);
    }
    const auto changes = persisted.diff(c.current);
    ASSERT_EQ(changes.size(), c.expected.size()) << c.name;
    for (size_t i = 0; i < changes.size(); ++i) {
        EXPECT_EQ(changes[i].run, c.expected[i].run) << c.name << " #" << i;
        EXPECT_EQ(changes[i].tombstone, c.expected[i].tombstone) << c.name << " #" << i;
    }
    // Applying them makes the persisted view equal to the current knowledge of those partitions.
    persisted.apply(changes);
    EXPECT_TRUE(persisted.diff(c.current).empty()) << c.name;
}

using K = RunKind;
const DiffCase kDiffs[] = {
    {"nothing persisted",
     {},
     {R(0, 9, 0, K::dense, 1), R(10, 20, 10, K::constant, 2)},
     {{R(0, 9, 0, K::dense, 1), false}, {R(10, 20, 10, K::constant, 2), false}}},
    {"unchanged", {R(0, 9, 0, K::dense, 1)}, {R(0, 9, 0, K::dense, 1)}, {}},
    {"only through moved (a repeated sync)",
     {R(0, 9, 0, K::dense, 1)},
     {R(0, 9, 0, K::dense, 5)},
     {}},
    {"tail extended",
     {R(0, 9, 0, K::dense, 1), R(10, 20, 10, K::dense, 2)},
     {R(0, 9, 0, K::dense, 3), R(10, 90, 10, K::dense, 3)},
     {{R(10, 90, 10, K::dense, 3), false}}},
    {"new interval after a hole",
     {R(0, 9, 0, K::dense, 1)},
     {R(0, 9, 0, K::dense, 2), R(10, 20, 10, K::constant, 2)},
     {{R(10, 20, 10, K::constant, 2), false}}},
    {"target recreated: old intervals tombstoned after the new one",
     {R(0, 9, 0, K::dense, 1), R(10, 20, 10, K::constant, 2)},
     {R(0, 30, 0, K::constant, 3)},
     {{R(0, 30, 0, K::constant, 3), false}, {R(10, 20, 10, K::constant, 2), true}}},
    {"upstream rewind truncates",
     {R(0, 150, 0, K::dense, 2)},
     {R(0, 120, 0, K::dense, 3), R(121, 121, 151, K::constant, 3)},
     {{R(0, 120, 0, K::dense, 3), false}, {R(121, 121, 151, K::constant, 3), false}}},
    {"other partitions left alone",
     {R(0, 9, 0, K::dense, 1, 1), R(0, 9, 0, K::dense, 1, 0, "u")},
     {R(0, 9, 0, K::dense, 1, 0)},
     {{R(0, 9, 0, K::dense, 1, 0), false}}},
};

std::string diff_name(const ::testing::TestParamInfo<DiffCase>& info) {
    std::string n = info.param.name;
    for (auto& ch : n) {
        if (std::isalnum(static_cast<unsigned char>(ch)) == 0) {
            ch = '_';
        }
    }
    return n;
}

INSTANTIATE_TEST_SUITE_P(Cases, RunsDiff, ::testing::ValuesIn(kDiffs), diff_name);

TEST(OffsetRuns, TombstoneRemovesFromTheView) {
    PersistedRuns p;
    const auto r = R(0, 9, 0, K::dense, 1);
    p.apply_record({"t", 0, 0}, r);
    EXPECT_EQ(p.size(), 1U);
    p.apply_record({"t", 0, 0}, std::nullopt);
    EXPECT_EQ(p.size(), 0U);
}

TEST(OffsetRuns, ConsistentRunsDropLeftoversOfAnInterruptedRewrite) {
    // Written last (through 9): [0, 120] then [121, 121]; [130, 150] is from before the rewind
    // whose tombstone never landed; [125, 135] overlaps.
    const auto kept =
        consistent_runs({R(130, 150, 130, K::dense, 4), R(121, 121, 151, K::constant, 9),
                         R(0, 120, 0, K::dense, 9)});
    ASSERT_EQ(kept.size(), 2U);
    EXPECT_EQ(kept[0], R(0, 120, 0, K::dense, 9));
    EXPECT_EQ(kept[1], R(121, 121, 151, K::constant, 9));
    const auto overlap = consistent_runs({R(0, 20, 0, K::dense, 1), R(10, 30, 10, K::dense, 2)});
    ASSERT_EQ(overlap.size(), 1U);
    EXPECT_EQ(overlap[0], R(0, 20, 0, K::dense, 1));
    EXPECT_TRUE(consistent_runs({}).empty());
}

TEST(OffsetRuns, RunsPastTheSyncsTopicEndAreDropped) {
    const auto kept = runs_within(
        {R(0, 9, 0, K::dense, 3, 0), R(10, 20, 10, K::dense, 50, 0), R(0, 5, 0, K::dense, 7, 1)},
        10);
    ASSERT_EQ(kept.size(), 1U);
    EXPECT_EQ(kept[0].partition, 1);
}

// ---- A translator rebuilt from runs ---------------------------------------------------------

// The syncs of one partition, at offsets 0, 1, 2, ... of the offset-syncs topic.
OffsetTranslator from_syncs(const Syncs& syncs, size_t count) {
    OffsetTranslator tr;
    for (size_t i = 0; i < count; ++i) {
        tr.handle(OffsetSync{"t", 0, syncs[i].first, syncs[i].second}, static_cast<int64_t>(i));
    }
    return tr;
}

struct RestartCase {
    const char* name;
    Syncs syncs;
};

const RestartCase kRestarts[] = {
    {"plain", {{0, 0}, {101, 101}, {202, 202}, {299, 299}}},
    {"compacted source", {{0, 0}, {9, 9}, {20, 10}, {29, 19}, {40, 20}, {45, 25}}},
    {"sparse", {{0, 0}, {5, 1}, {7, 2}, {8, 3}, {20, 4}}},
    {"transactions", {{0, 0}, {4, 4}, {12, 5}, {16, 9}, {18, 10}, {22, 14}}},
    {"started later", {{500, 0}, {600, 100}, {700, 101}}},
    {"failover rewind", {{0, 0}, {101, 101}, {150, 150}, {121, 151}, {200, 230}}},
    {"target recreated", {{0, 0}, {100, 100}, {200, 0}, {210, 10}, {230, 11}}},
    {"unknown stretch", {{0, 0}, {100, 100}, {150, 160}, {170, 180}}},
};

class RestartTable : public ::testing::TestWithParam<RestartCase> {};

void expect_same_translations(const OffsetTranslator& expected, const OffsetTranslator& actual,
                              int64_t max_upstream, const std::string& what) {
    for (int64_t u = 0; u <= max_upstream + 3; ++u) {
        auto e = expected.translate("t", 0, u);
        auto a = actual.translate("t", 0, u);
        EXPECT_EQ(a, e) << what << ": U = " << u << " translated to " << a.downstream
                        << " instead of " << e.downstream;
    }
}

// Persisted at every point of the history, then the offset-syncs topic compacted to its latest
// sync (or not compacted at all, or more syncs arriving after the restart): the restarted
// translator answers like the one that never stopped.
TEST_P(RestartTable, RestartAfterCompactionTranslatesLikeTheOriginal) {
    const auto& syncs = GetParam().syncs;
    int64_t max_u = 0;
    for (const auto& [u, d] : syncs) {
        max_u = std::max(max_u, u);
    }
    auto all = from_syncs(syncs, syncs.size());
    all.mark_read_to_end();
    for (size_t persisted_at = 1; persisted_at <= syncs.size(); ++persisted_at) {
        const auto before = from_syncs(syncs, persisted_at);
        PersistedRuns topic;
        topic.apply(topic.diff(before.runs()));
        // A persisted encoding round trip, as the topic would store it.
        std::vector<OffsetRun> loaded;
        for (const auto& r : topic.all()) {
            auto back = decode_run(*encode_run_key(r), *encode_run_value(r));
            ASSERT_TRUE(back) << back.error().message;
            loaded.push_back(*back);
        }
        const std::string at = " (persisted after sync " + std::to_string(persisted_at) + ")";

        // Compacted: only the latest sync (offset size-1) is left in the offset-syncs topic.
        OffsetTranslator compacted;
        compacted.load_runs(loaded);
        const auto last = syncs.size() - 1;
        compacted.handle(OffsetSync{"t", 0, syncs[last].first, syncs[last].second},
                         static_cast<int64_t>(last));
        compacted.mark_read_to_end();
        if (persisted_at >= syncs.size() - 1) {
            // Everything but at most the latest sync was persisted: nothing lost.
            expect_same_translations(all, compacted, max_u, "compacted" + at);
        } else {
            // Syncs compacted away before they were persisted: what was persisted stays true,
            // but a rewind nobody persisted is unknown (the old copy of a re-copied range is
            // still found): an exact answer is never later than the true one. (MM2's rule
            // after stale runs can be wrong when the replica was recreated unseen: ADR 0004.)
            for (int64_t u = 0; u <= max_u + 3; ++u) {
                auto a = compacted.translate("t", 0, u);
                auto e = all.translate("t", 0, u);
                if (a.exact()) {
                    ASSERT_TRUE(e.ok()) << "compacted" << at << " U = " << u;
                    EXPECT_LE(a.downstream, e.downstream) << "compacted" << at << " U = " << u;
                }
            }
        }

        // Not compacted: every sync is read again after the runs; the known ones are skipped.
        OffsetTranslator replayed;
        replayed.load_runs(loaded);
        for (size_t i = 0; i < syncs.size(); ++i) {
            replayed.handle(OffsetSync{"t", 0, syncs[i].first, syncs[i].second},
                            static_cast<int64_t>(i));
        }
        replayed.mark_read_to_end();
        expect_same_translations(all, replayed, max_u, "replayed" + at);
    }
}

std::string restart_name(const ::testing::TestParamInfo<RestartCase>& info) {
    std::string n = info.param.name;
    for (auto& ch : n) {
        if (std::isalnum(static_cast<unsigned char>(ch)) == 0) {
            ch = '_';
        }
    }
    return n;
}

INSTANTIATE_TEST_SUITE_P(Cases, RestartTable, ::testing::ValuesIn(kRestarts), restart_name);

// Why the runs are needed: the latest sync alone proves nothing in the hole below it.
TEST(OffsetRuns, WithoutRunsCompactionLosesExactness) {
    const Syncs syncs = {{0, 0}, {9, 9}, {20, 10}, {29, 19}, {40, 20}, {45, 25}};
    OffsetTranslator only_latest;
    only_latest.handle(OffsetSync{"t", 0, 45, 25}, 5);
    only_latest.mark_read_to_end();
    EXPECT_FALSE(only_latest.translate("t", 0, 15).exact());

    OffsetTranslator with_runs;
    with_runs.load_runs(from_syncs(syncs, syncs.size()).runs());
    with_runs.handle(OffsetSync{"t", 0, 45, 25}, 5);
    with_runs.mark_read_to_end();
    EXPECT_EQ(with_runs.translate("t", 0, 15), Translation::exact_at(10));
    EXPECT_EQ(with_runs.translate("t", 0, 35), Translation::exact_at(20));
    EXPECT_EQ(with_runs.translate("t", 0, 46), Translation::exact_at(26));
}

// A sync going back downstream after the runs were loaded (the replica was recreated): the
// partition is forgotten and the next write tombstones the old intervals.
TEST(OffsetRuns, TargetRecreatedAfterLoadTombstonesTheOldRuns) {
    const Syncs syncs = {{0, 0}, {9, 9}, {20, 10}, {29, 19}};
    const auto before = from_syncs(syncs, syncs.size());
    PersistedRuns topic;
    topic.apply(topic.diff(before.runs()));
    ASSERT_EQ(topic.size(), 3U); // [0, 9] dense, [10, 20] hole, [21, 29] dense

    OffsetTranslator restarted;
    restarted.load_runs(topic.all());
    restarted.handle(OffsetSync{"t", 0, 29, 19}, 3);
    restarted.handle(OffsetSync{"t", 0, 40, 0}, 4); // the replica starts again at 0
    restarted.mark_read_to_end();
    EXPECT_EQ(restarted.translate("t", 0, 15), Translation::exact_at(0));

    const auto changes = topic.diff(restarted.runs());
    size_t tombstones = 0;
    for (const auto& c : changes) {
        tombstones += c.tombstone ? 1 : 0;
    }
    EXPECT_EQ(tombstones, 2U) << "the intervals at 10 and 21 are gone, the one at 0 is rewritten";
    topic.apply(changes);
    ASSERT_EQ(topic.size(), 1U);
    EXPECT_EQ(topic.all()[0], R(0, 40, 0, K::constant, 4));
}

} // namespace
} // namespace kmirror::mirror
