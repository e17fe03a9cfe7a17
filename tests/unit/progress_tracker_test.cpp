#include "mirror/progress_tracker.h"

#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::mirror {
namespace {

struct Case {
    std::string name;
    std::vector<std::pair<int64_t, int64_t>> delivered; // (upstream, downstream)
    int64_t offset_lag_max;
    std::vector<SyncPoint> expected_syncs;
    int64_t expected_next;
};

TEST(ProgressTracker, EmitsRunBoundariesAndStalenessSyncs) {
    const std::vector<Case> cases = {
        {"first record syncs", {{0, 0}, {1, 1}, {2, 2}}, 100, {{0, 0}}, 3},
        {"upstream gap (compaction) closes run and opens the next",
         {{0, 10}, {1, 11}, {2, 12}, {5, 13}, {6, 14}},
         100,
         {{0, 10}, {2, 12}, {5, 13}},
         7},
        {"transaction marker gap right after a sync does not repeat the sync",
         {{0, 0}, {2, 1}, {3, 2}},
         100,
         {{0, 0}, {2, 1}},
         4},
        {"downstream rewind (duplicate after failover) starts a new run",
         {{10, 100}, {11, 101}, {12, 50}},
         100,
         {{10, 100}, {11, 101}, {12, 50}},
         13},
        {"staleness rule every offset.lag.max",
         {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}},
         2,
         {{0, 0}, {3, 3}},
         6},
    };
    for (const auto& c : cases) {
        PartitionProgress p(c.offset_lag_max);
        std::vector<SyncPoint> syncs;
        for (auto [u, d] : c.delivered) {
            p.on_delivered(u, d, syncs);
        }
        EXPECT_EQ(syncs, c.expected_syncs) << c.name;
        EXPECT_EQ(p.next_upstream(), c.expected_next) << c.name;
    }
}

TEST(ProgressTracker, FlushSyncsLatestDeliveredOnce) {
    PartitionProgress p(100);
    std::vector<SyncPoint> syncs;
    EXPECT_FALSE(p.on_flush().has_value()) << "nothing delivered yet";
    p.on_delivered(0, 0, syncs);
    EXPECT_FALSE(p.on_flush().has_value()) << "first record already synced";
    p.on_delivered(1, 1, syncs);
    p.on_delivered(2, 2, syncs);
    auto flushed = p.on_flush();
    ASSERT_TRUE(flushed.has_value());
    EXPECT_EQ(*flushed, (SyncPoint{2, 2}));
    EXPECT_FALSE(p.on_flush().has_value()) << "no new record since the last flush";
    // After a flush sync, a gap must not re-emit the run end that the flush already wrote.
    syncs.clear();
    p.on_delivered(4, 3, syncs);
    EXPECT_EQ(syncs, (std::vector<SyncPoint>{{4, 3}}));
}

TEST(ProgressTracker, FailureStopsProgressUntilRestart) {
    PartitionProgress p(100, 0);
    std::vector<SyncPoint> syncs;
    p.on_delivered(0, 0, syncs);
    p.fail(1);
    p.on_delivered(2, 2, syncs); // a later record acknowledged after the failed one
    EXPECT_EQ(p.next_upstream(), 1) << "progress never passes a failed record";
    EXPECT_TRUE(p.failed());
    p.restart();
    syncs.clear();
    p.on_delivered(1, 5, syncs);
    EXPECT_EQ(p.next_upstream(), 2);
    EXPECT_EQ(syncs, (std::vector<SyncPoint>{{1, 5}})) << "restart begins a new run";
}

TEST(ProgressTracker, CommitPendingTracksChanges) {
    PartitionProgress p(100, 7);
    EXPECT_TRUE(p.commit_pending());
    p.mark_committed(7);
    EXPECT_FALSE(p.commit_pending());
    std::vector<SyncPoint> syncs;
    p.on_delivered(7, 0, syncs);
    EXPECT_TRUE(p.commit_pending());
    EXPECT_EQ(p.next_upstream(), 8);
}

} // namespace
} // namespace kmirror::mirror
