#include "mirror/progress_tracker.h"

namespace kmirror::mirror {

void PartitionProgress::on_delivered(int64_t upstream, int64_t downstream,
                                     std::vector<SyncPoint>& syncs) {
    if (failed_) {
        return;
    }
    const SyncPoint current{upstream, downstream};
    bool emit = false;
    if (!previous_) {
        emit = true; // first record of this lifetime starts a run
    } else if (upstream != previous_->upstream + 1 || downstream != previous_->downstream + 1) {
        // A gap on either side ends the previous run: record where it ended, then the start
        // of the new one, so translation inside the gap is exact.
        if (!last_sync_ || !(*last_sync_ == *previous_)) {
            syncs.push_back(*previous_);
        }
        emit = true;
    } else if (last_sync_ && downstream - (last_sync_->downstream + 1) >= offset_lag_max_) {
        emit = true; // MM2's staleness rule (KAFKA-14797)
    }
    if (emit) {
        syncs.push_back(current);
        last_sync_ = current;
    }
    previous_ = current;
    next_upstream_ = upstream + 1;
    ++records_delivered_;
}

std::optional<SyncPoint> PartitionProgress::on_flush() {
    if (failed_ || !previous_ || (last_sync_ && *last_sync_ == *previous_)) {
        return std::nullopt;
    }
    last_sync_ = previous_;
    return previous_;
}

void PartitionProgress::fail(int64_t upstream) {
    if (!failed_ && (next_upstream_ < 0 || upstream >= next_upstream_)) {
        failed_ = true;
    }
}

void PartitionProgress::restart() {
    failed_ = false;
    // The next delivered record starts a new run: a rewind on the target must be synced.
    previous_.reset();
}

} // namespace kmirror::mirror
