// MM2's OffsetSyncStore (spec §5.2, §5.3): keeps, per source topic-partition, a 64-slot array of
// offset syncs spaced exponentially in upstream offset, and translates a consumer group's
// upstream offset into a safe downstream offset for checkpoints.
//
// The update and lookup rules are MM2's, step for step, so that kmirror translates exactly the
// offsets Java MM2 would (including which old syncs are forgotten). Identity matters in those
// rules: two syncs with equal values received separately are different entries, so every sync
// gets a serial number when it is handled.
#pragma once

#include "mirror/formats.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::mirror {

// Thread rules: not thread-safe. Owned by the one thread that consumes the offset-syncs topic and
// translates offsets (the checkpoint task's thread); the caller serialises handle() and
// translate_downstream().
class OffsetSyncStore {
public:
    // true when the checkpoints topic could not be loaded (KAFKA-15905): until the first
    // read-to-end only the latest sync per partition is kept. false keeps the whole history.
    explicit OffsetSyncStore(bool initialization_must_read_to_end);

    // Ingests one record of the offset-syncs topic, in topic order.
    void handle(const OffsetSync& sync);
    // The initial read of the offset-syncs topic has reached the end offset it had at start-up.
    void mark_read_to_end() { read_to_end_ = true; }
    bool read_to_end() const { return read_to_end_; }

    // The downstream offset for a group at `upstream_offset` on the source partition:
    // nullopt = emit no checkpoint (initial read not finished, or no sync for the partition);
    // -1 = the offset is older than every sync kept ("too far in the past", skip it);
    // otherwise the sync's downstream offset, plus one unless the group is exactly at the sync.
    std::optional<int64_t> translate_downstream(const std::string& topic, int32_t partition,
                                                int64_t upstream_offset) const;

    // The distinct syncs kept for a partition, latest first (diagnostics and tests).
    std::vector<OffsetSync> retained_syncs(const std::string& topic, int32_t partition) const;

private:
    struct Entry {
        uint64_t serial = 0; // identity
        int64_t upstream = 0;
        int64_t downstream = 0;
    };
    static constexpr size_t kSlots = 64; // Long.SIZE in MM2
    using SyncArray = std::array<Entry, kSlots>;
    using Key = std::pair<std::string, int32_t>;

    void update(SyncArray& syncs, const SyncArray& original, const Entry& sync) const;
    static const Entry& lookup_latest(const SyncArray& syncs, int64_t upstream_offset);

    bool initialization_must_read_to_end_;
    bool read_to_end_ = false;
    uint64_t next_serial_ = 0;
    std::map<Key, SyncArray> syncs_;
};

} // namespace kmirror::mirror
