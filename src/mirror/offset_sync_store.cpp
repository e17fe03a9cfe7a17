#include "mirror/offset_sync_store.h"

#include <algorithm>
#include <unordered_set>

namespace kmirror::mirror {

namespace {

// MM2 computes these bounds with Java longs, where 1L << 63 is Long.MIN_VALUE and sums wrap;
// doing the same in uint64_t reproduces its results without signed-overflow UB.
int64_t wrapping_add(int64_t base, uint64_t delta) {
    return static_cast<int64_t>(static_cast<uint64_t>(base) + delta);
}

uint64_t pow2(size_t exponent) {
    return uint64_t{1} << exponent;
}

} // namespace

OffsetSyncStore::OffsetSyncStore(bool initialization_must_read_to_end)
    : initialization_must_read_to_end_(initialization_must_read_to_end) {}

void OffsetSyncStore::handle(const OffsetSync& sync) {
    const Entry entry{next_serial_++, sync.upstream_offset, sync.downstream_offset};
    auto [it, inserted] = syncs_.try_emplace(Key{sync.topic, sync.partition});
    SyncArray& syncs = it->second;
    if (inserted) {
        syncs.fill(entry);
        return;
    }
    // While the initial load must only keep the latest sync, or after an upstream rewind (the
    // source partition was recreated or truncated), every older sync is unusable.
    if ((initialization_must_read_to_end_ && !read_to_end_) || entry.upstream < syncs[0].upstream) {
        syncs.fill(entry);
        return;
    }
    const SyncArray original = syncs;
    update(syncs, original, entry);
}

void OffsetSyncStore::update(SyncArray& syncs, const SyncArray& original, const Entry& sync) const {
    // Invariant B: slot j is not too old relative to slot i.
    auto recent_enough = [](const Entry& x, const Entry& y, size_t i, size_t j) {
        if (x.serial == y.serial) {
            return true;
        }
        const int64_t bound = wrapping_add(y.upstream, pow2(j) - pow2(i));
        return bound < 0 || x.upstream <= bound;
    };
    // Invariant C: distinct entries are far enough apart to be worth keeping both.
    auto separated = [](const Entry& x, const Entry& y, size_t i) {
        if (x.serial == y.serial) {
            return true;
        }
        const int64_t bound = wrapping_add(y.upstream, pow2(i < 2 ? 0 : i - 2));
        return bound >= 0 && x.upstream >= bound;
    };

    syncs[0] = sync;
    Entry replacement = sync;
    size_t ri = 0; // index into `original` of the next candidate to promote
    for (size_t cur = 1; cur < kSlots; ++cur) {
        const size_t prev = cur - 1;
        bool skip = false;
        do {
            const Entry& old = original[ri];
            const bool is_recent = recent_enough(syncs[prev], old, prev, cur);
            const bool separated_from_prev = separated(syncs[prev], old, prev);
            const bool separated_from_next =
                cur + 1 >= kSlots || separated(old, syncs[cur + 1], cur);
            const bool duplicate = ri + 1 < kSlots && original[ri + 1].serial == old.serial;
            bool promoted = false;
            if (is_recent && separated_from_prev && separated_from_next) {
                replacement = old;
                promoted = true;
            }
            skip = duplicate || !separated_from_prev;
            if (promoted || skip) {
                ++ri;
            }
        } while (ri < cur && skip);
        if (recent_enough(syncs[prev], syncs[cur], prev, cur)) {
            break; // the rest of the array still satisfies the invariants
        }
        syncs[cur] = replacement;
    }
}

const OffsetSyncStore::Entry& OffsetSyncStore::lookup_latest(const SyncArray& syncs,
                                                             int64_t upstream_offset) {
    for (const Entry& e : syncs) {
        if (e.upstream <= upstream_offset) {
            return e;
        }
    }
    return syncs[kSlots - 1];
}

std::optional<int64_t> OffsetSyncStore::translate_downstream(const std::string& topic,
                                                             int32_t partition,
                                                             int64_t upstream_offset) const {
    if (!read_to_end_) {
        return std::nullopt;
    }
    auto it = syncs_.find(Key{topic, partition});
    if (it == syncs_.end()) {
        return std::nullopt; // KAFKA-12635: never guess without a sync
    }
    const Entry& sync = lookup_latest(it->second, upstream_offset);
    if (sync.upstream > upstream_offset) {
        return -1;
    }
    // Records between the sync and the group's offset may not have been replicated (filtered,
    // compacted, transaction markers), so one past the synced record is the only safe position.
    return sync.downstream + (upstream_offset == sync.upstream ? 0 : 1);
}

std::vector<OffsetSync> OffsetSyncStore::retained_syncs(const std::string& topic,
                                                        int32_t partition) const {
    std::vector<OffsetSync> out;
    auto it = syncs_.find(Key{topic, partition});
    if (it == syncs_.end()) {
        return out;
    }
    std::unordered_set<uint64_t> seen;
    for (const Entry& e : it->second) {
        if (seen.insert(e.serial).second) {
            out.push_back(OffsetSync{topic, partition, e.upstream, e.downstream});
        }
    }
    return out;
}

} // namespace kmirror::mirror
