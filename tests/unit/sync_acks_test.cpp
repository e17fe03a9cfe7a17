#include "mirror/sync_acks.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace kmirror::mirror {
namespace {

// Each row: syncs produced before the mark, reports before the mark (true = written), reports
// after it, and the state the snapshot taken at the mark is in.
struct Row {
    std::string name;
    int produced_before;
    std::vector<bool> reported_before;
    int produced_after;
    std::vector<bool> reported_after;
    SyncAcks::State expected;
};

TEST(SyncAcks, SnapshotStateFollowsTheReportsOfTheSyncsBeforeIt) {
    const std::vector<Row> rows = {
        {"nothing produced", 0, {}, 0, {}, SyncAcks::State::written},
        {"all written before the mark", 3, {true, true, true}, 0, {}, SyncAcks::State::written},
        {"one outstanding", 3, {true, true}, 0, {}, SyncAcks::State::waiting},
        {"written after the mark", 3, {true}, 0, {true, true}, SyncAcks::State::written},
        {"later syncs do not hold it back", 2, {}, 4, {true, true}, SyncAcks::State::written},
        {"later outstanding, earlier written", 2, {true}, 2, {true}, SyncAcks::State::written},
        {"earlier outstanding behind later produce",
         3,
         {},
         5,
         {true, true},
         SyncAcks::State::waiting},
        {"a failure after the mark", 2, {}, 0, {true, false}, SyncAcks::State::lost},
        {"a failure before the mark is history", 2, {false, true}, 1, {}, SyncAcks::State::written},
        {"a failure of a later sync postpones too", 1, {}, 1, {true, false}, SyncAcks::State::lost},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        SyncAcks acks;
        for (int i = 0; i < row.produced_before; ++i) {
            acks.produced();
        }
        for (bool written : row.reported_before) {
            acks.reported(written);
        }
        const auto mark = acks.mark();
        for (int i = 0; i < row.produced_after; ++i) {
            acks.produced();
        }
        for (bool written : row.reported_after) {
            acks.reported(written);
        }
        EXPECT_EQ(acks.since(mark), row.expected);
        const auto reports = row.reported_before.size() + row.reported_after.size();
        EXPECT_EQ(acks.outstanding(),
                  static_cast<uint64_t>(row.produced_before + row.produced_after) - reports);
    }
}

} // namespace
} // namespace kmirror::mirror
