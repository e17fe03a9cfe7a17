#include "mirror/batch_gate.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace kmirror::mirror {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(BatchGate, AdmitsRecordsOnlyWhileTheOpenBatchCanStillFill) {
    const BatchGate gate = make_batch_gate(1000, 10, 5); // 900 bytes, 9 records, 4 ms window
    const Clock::time_point t0{};
    struct Case {
        std::string name;
        PartitionBatch batch;
        int64_t record_bytes;
        Clock::time_point now;
        bool admitted;
    };
    const std::vector<Case> cases = {
        {"nothing unacknowledged opens a batch", {0, 0, t0}, 5000, t0 + milliseconds(60), true},
        {"joins the open batch", {3, 300, t0}, 100, t0 + milliseconds(1), true},
        {"fills the batch to its byte bound", {3, 800, t0}, 100, t0 + milliseconds(1), true},
        {"one byte over the bound waits", {3, 800, t0}, 101, t0 + milliseconds(1), false},
        {"the record bound", {9, 90, t0}, 10, t0 + milliseconds(1), false},
        {"just below the record bound", {8, 80, t0}, 10, t0 + milliseconds(1), true},
        {"at the end of the fill window", {1, 10, t0}, 10, t0 + milliseconds(4), true},
        {"after the fill window the batch may be out",
         {1, 10, t0},
         10,
         t0 + milliseconds(5),
         false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(admits(gate, c.batch, c.record_bytes, c.now), c.admitted) << c.name;
    }
}

TEST(BatchGate, DerivesItsBoundsFromTheProducerSettings) {
    const BatchGate gate = make_batch_gate(1000000, 10000, 5);
    EXPECT_EQ(gate.max_bytes, 900000);
    EXPECT_EQ(gate.max_records, 9000);
    EXPECT_EQ(gate.fill_window, std::chrono::microseconds(4000));
    // linger.ms=0: only records released in the same pass (same `now`) share a batch.
    const BatchGate no_linger = make_batch_gate(1, 1, 0);
    EXPECT_EQ(no_linger.max_bytes, 1);
    EXPECT_EQ(no_linger.max_records, 1);
    EXPECT_EQ(no_linger.fill_window, std::chrono::microseconds(0));
    const Clock::time_point t0{};
    const BatchGate zero = make_batch_gate(1000, 100, 0);
    EXPECT_TRUE(admits(zero, {1, 10, t0}, 10, t0));
    EXPECT_FALSE(admits(zero, {1, 10, t0}, 10, t0 + std::chrono::microseconds(1)));
}

TEST(BatchGate, NoGateAdmitsEverything) {
    const Clock::time_point t0{};
    EXPECT_TRUE(admits(BatchGate{}, {1000, 1 << 30, t0}, 1 << 20, t0 + milliseconds(1000)));
}

} // namespace
} // namespace kmirror::mirror
