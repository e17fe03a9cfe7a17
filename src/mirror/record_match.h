// Record matching for `kmirror verify`: did every record of a source partition arrive in its
// target partition? Records are compared by a 64-bit digest of what a replicator must preserve
// (key, value, headers, timestamp), in order, so the check needs no offset mapping and works for
// targets written by MM2 as well as by kmirror.
//
// The target is expected to be the source's records in source order, possibly with re-sent runs
// (MM2 is at-least-once: after a restart it sends again from its last committed position). Each
// target record is matched to the first source record with its digest at or after the next
// expected one; source records skipped over are missing, a record matching only earlier source
// records is a duplicate, a record matching none is foreign (written to the target directly, or
// its source record is gone: compacted or deleted). Source records after the last matched one
// are not copied yet (lag), not missing.
//
// Limit: identical records (same key, value, headers and timestamp) cannot be told apart, so a
// duplicate of one of them can be counted as the next one.
// Thread rules: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kmirror::mirror {

struct DigestedRecord {
    int64_t offset = 0;
    uint64_t digest = 0;
};

struct OffsetRange {
    int64_t first = 0;
    int64_t last = 0; // inclusive
    friend bool operator==(const OffsetRange&, const OffsetRange&) = default;
};

struct PartitionMatch {
    int64_t matched = 0;
    int64_t missing = 0;    // source records before the last matched one, never seen on the target
    int64_t not_copied = 0; // source records after the last matched one
    int64_t duplicates = 0; // target records matching only source records already matched
    int64_t foreign = 0;    // target records matching no source record
    std::vector<OffsetRange> missing_ranges; // source offsets, the first kMaxRanges
    std::vector<int64_t> duplicate_offsets;  // target offsets, the first kMaxRanges
    std::vector<int64_t> foreign_offsets;    // target offsets, the first kMaxRanges
    int64_t first_not_copied = -1;           // source offset, -1 when all were copied

    static constexpr size_t kMaxRanges = 5;
    // Every source record arrived (duplicates and foreign records are reported, not failures).
    bool complete() const { return missing == 0 && not_copied == 0; }
};

// `source` and `target` in offset order.
PartitionMatch match_partition(const std::vector<DigestedRecord>& source,
                               const std::vector<DigestedRecord>& target);

} // namespace kmirror::mirror
