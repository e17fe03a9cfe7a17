// Per-partition replication progress and offset-sync emission for one source partition.
// Pure logic: fed with delivery reports in order, it says what is safe to commit as progress
// and which offset syncs to write.
//
// Offset syncs are written densely enough for exact translation (architecture.md, "Exact
// offset translation"): at the first record of every run (a run is a stretch where upstream
// and downstream offsets both advance by one), at the last record of the run before a gap,
// every `offset.lag.max` downstream offsets (MM2's own rule, so MM2 readers stay as precise as
// with MM2), and at every flush for the latest delivered record.
//
// Thread: owned by the source task thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace kmirror::mirror {

struct SyncPoint {
    int64_t upstream = -1;
    int64_t downstream = -1;
    bool operator==(const SyncPoint&) const = default;
};

class PartitionProgress {
public:
    // `next_upstream`: the source offset replication (re)starts from, or -1 if unknown yet.
    explicit PartitionProgress(int64_t offset_lag_max, int64_t next_upstream = -1)
        : offset_lag_max_(offset_lag_max), next_upstream_(next_upstream) {}

    // A record with source offset `upstream` was acknowledged at target offset `downstream`.
    // Appends the offset syncs to write to `syncs`. Ignored while failed.
    void on_delivered(int64_t upstream, int64_t downstream, std::vector<SyncPoint>& syncs);

    // Periodic flush: the latest delivered record, if no sync covers it yet.
    std::optional<SyncPoint> on_flush();

    // The delivery of record `upstream` failed: progress stops before it until restart().
    void fail(int64_t upstream);
    bool failed() const { return failed_; }
    // Replication restarts at the current progress (after a failure or a reassignment).
    void restart();

    // Source offset of the next record to replicate (what is committed as progress); -1 if
    // nothing was delivered and no start position is known.
    int64_t next_upstream() const { return next_upstream_; }
    // True when next_upstream() changed since the last mark_committed().
    bool commit_pending() const { return next_upstream_ != committed_; }
    void mark_committed(int64_t committed) { committed_ = committed; }

    uint64_t records_delivered() const { return records_delivered_; }

private:
    int64_t offset_lag_max_;
    int64_t next_upstream_;
    int64_t committed_ = -2;
    std::optional<SyncPoint> previous_;  // last delivered record
    std::optional<SyncPoint> last_sync_; // last record a sync was emitted for
    bool failed_ = false;
    uint64_t records_delivered_ = 0;
};

} // namespace kmirror::mirror
