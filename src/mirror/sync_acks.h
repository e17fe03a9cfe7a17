#pragma once

#include <cstdint>

namespace kmirror::mirror {

// Progress may only be committed once the offset syncs emitted before it are written: exact
// offset translation must survive a crash. The task's periodic commit does not wait for them on
// its thread (a blocking flush stalls every partition the task copies for a produce round trip,
// once per commit interval: ADR 0008). It takes a mark when it snapshots the progress, and
// commits the snapshot once the acknowledgements have caught up with the mark.
//
// Offset syncs go to one partition of an idempotent producer, so their delivery reports arrive
// in the order they were produced: counts are enough.
class SyncAcks {
public:
    struct Mark {
        uint64_t produced = 0; // syncs produced before the mark
        uint64_t failed = 0;   // syncs whose delivery had failed before the mark
    };
    enum class State {
        waiting, // some syncs produced before the mark are not acknowledged yet
        written, // every sync produced before the mark is written
        lost,    // a delivery failed since the mark: the snapshot must not be committed
    };

    void produced() { ++produced_; }
    void reported(bool written) { written ? ++written_ : ++failed_; }

    Mark mark() const { return {produced_, failed_}; }
    // A failure reported after the mark may concern a sync produced after it; counting it as
    // lost only postpones a commit to the next interval.
    State since(const Mark& m) const {
        if (failed_ > m.failed) {
            return State::lost;
        }
        return written_ + failed_ >= m.produced ? State::written : State::waiting;
    }
    uint64_t outstanding() const { return produced_ - written_ - failed_; }

private:
    uint64_t produced_ = 0;
    uint64_t written_ = 0;
    uint64_t failed_ = 0;
};

} // namespace kmirror::mirror
