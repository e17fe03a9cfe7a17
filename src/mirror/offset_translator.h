// OffsetTranslator: exact translation of consumer-group offsets from the dense offset syncs that
// kmirror's source task writes (architecture.md, "Exact offset translation"; docs/adr/0004).
//
// A source group offset U translates to the target offset of the first replicated record whose
// source offset is >= U. Every offset sync (u, d) says "source record u was written at target
// offset d"; two consecutive syncs t, s of a partition prove more:
//   * s.u - t.u == s.d - t.d      a run: every source offset in [t.u, s.u] was replicated at
//                                 t.d + (U - t.u);
//   * s.d == t.d + 1, s.u > t.u   adjacent target records: no source record in (t.u, s.u) was
//                                 replicated, so every U in (t.u, s.u] maps to s.d;
//   * anything else               only U == s.u is known.
// A partition whose first sync landed at target offset 0 also maps every U below it to 0.
// The latest sync t bounds what is known: U == t.u + 1 maps to t.d + 1 (the next record to be
// replicated lands there); larger U is "beyond the end" (never guessed forward: that could skip
// records) unless the caller proves that the source holds no record in [t.u + 1, U).
// A sync that goes back upstream (a later run re-copying a range after a failover, or a
// recreated source topic) wins over everything older from its upstream offset on; a sync that
// goes back downstream (the target partition was recreated) forgets the partition.
// Where exactness is not provable (syncs compacted away, syncs written by Java MM2), MM2's
// conservative rule (spec §5.3: one past the latest sync below U) answers, flagged as not exact.
// Every sync is kept (runs merge into one interval), so that answer is never further back than
// OffsetSyncStore's, which forgets syncs exponentially.
//
// Persistence (offset_runs.h): runs() exports every interval proved so far; load_runs() puts
// intervals loaded from the offset runs topic back before the offset syncs are read, so that
// exactness survives compaction of the offset-syncs topic. Syncs at or below the offset-syncs
// topic offset a loaded partition reflects (`through`) are then skipped as already known.
//
// Pure logic, no I/O. Thread rules: not thread-safe; owned by the checkpoint task's thread.
#pragma once

#include "mirror/formats.h"
#include "mirror/offset_runs.h"
#include "mirror/progress_tracker.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::mirror {

enum class TranslationKind {
    exact,        // `downstream` is the target offset of the first replicated record >= U
    conservative, // MM2's rule: never skips a record, may re-deliver some
    beyond_end,   // U is past the last replicated record known (`tail`): no translation yet
    none,         // nothing usable: syncs not loaded, no sync for the partition, or too old
};

struct Translation {
    TranslationKind kind = TranslationKind::none;
    int64_t downstream = -1; // exact and conservative only
    SyncPoint tail;          // beyond_end only: the latest sync of the partition

    bool ok() const {
        return kind == TranslationKind::exact || kind == TranslationKind::conservative;
    }
    bool exact() const { return kind == TranslationKind::exact; }
    static Translation exact_at(int64_t d) { return {TranslationKind::exact, d, {}}; }
    bool operator==(const Translation&) const = default;
};

class OffsetTranslator {
public:
    // Ingests one record of the offset-syncs topic, in topic order. `log_offset` is its offset
    // in that topic (-1: unknown; never skipped).
    void handle(const OffsetSync& sync, int64_t log_offset = -1);
    // Before any handle(): the intervals loaded from the offset runs topic (any order, several
    // partitions; see consistent_runs). Replaces what is known of those partitions.
    void load_runs(const std::vector<OffsetRun>& runs);
    // Every interval known, by (topic, partition) then upstream offset, each with `through` =
    // the offset-syncs topic offset of the partition's latest sync handled.
    std::vector<OffsetRun> runs() const;
    // The initial read of the offset-syncs topic reached the end: translations may be given.
    void mark_read_to_end();
    bool read_to_end() const { return read_to_end_; }

    Translation translate(const std::string& topic, int32_t partition, int64_t upstream) const;

    // Once the caller has checked that the source partition holds no readable record in
    // [tail.upstream + 1, upstream), a beyond_end translation becomes exact: tail.downstream + 1.
    static Translation after_empty_tail(const Translation& beyond_end);

    // Forgets the intervals no translation at or above `floor` uses (floor: the source
    // partition's log start offset; records below it are gone, so no group can resume there):
    // every interval before the last one starting at or below `floor`. The partition's latest
    // interval always stays. Translations of offsets >= floor are unchanged. Returns how many
    // intervals were dropped (the offset runs writer tombstones them on its next diff).
    size_t forget_below(const std::string& topic, int32_t partition, int64_t floor);
    // Partitions that keep more than one interval: the only ones forget_below can shrink.
    std::vector<std::pair<std::string, int32_t>> partitions_with_history() const;

    // Diagnostics and tests: number of exact intervals kept for a partition.
    size_t interval_count(const std::string& topic, int32_t partition) const;

private:
    // U in [lo, hi] maps to `d_lo + (U - lo)` when dense, else to `d_lo`.
    struct Interval {
        int64_t lo = 0;
        int64_t hi = 0;
        int64_t d_lo = 0;
        bool dense = false;
    };
    struct PartitionState {
        std::map<int64_t, Interval> intervals; // by lo; disjoint; every hi <= last.upstream
        SyncPoint last;
        int64_t through = -1;        // offset-syncs topic offset of `last`, -1 if unknown
        int64_t loaded_through = -1; // syncs at or below this offset were loaded as runs
    };
    using Key = std::pair<std::string, int32_t>;

    static void start(PartitionState& st, const SyncPoint& s);
    static void add(PartitionState& st, Interval iv);
    static void truncate_from(PartitionState& st, int64_t upstream);

    bool read_to_end_ = false;
    std::map<Key, PartitionState> partitions_;
};

} // namespace kmirror::mirror
