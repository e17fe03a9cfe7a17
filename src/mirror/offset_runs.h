// Offset runs: the exact knowledge an OffsetTranslator proved from consecutive offset syncs,
// persisted so that it survives compaction of the offset-syncs topic (docs/adr/0004, "Offset
// runs topic"). MM2's offset-syncs topic is compacted by (topic, partition): after compaction
// only the latest sync of a partition is left, which proves nothing below it. The checkpoint
// task's leader therefore writes every interval it proved to the kmirror-owned compacted topic
// `kmirror-offset-runs.<source>.internal` on the target, keyed by (topic, partition, first
// upstream offset) so that distinct intervals never compact each other away, and a restarted
// process loads them before the offset syncs.
//
// Record format (big-endian, Kafka protocol STRING = INT16 length + UTF-8):
//   key   = INT16 version (0), STRING topic, INT32 partition, INT64 upstream_lo
//   value = INT16 version (0), INT64 upstream_hi, INT64 downstream_lo, INT8 kind,
//           INT64 through (offset in the offset-syncs topic of the latest sync reflected)
//   null value = tombstone: the interval is no longer known (replica recreated, rewound).
//
// Pure logic, no I/O. Thread rules: values and a class owned by the checkpoint task's thread.
#pragma once

#include "util/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace kmirror::mirror {

enum class RunKind : int8_t {
    dense = 0,    // U in [lo, hi] maps to downstream_lo + (U - lo)
    constant = 1, // U in [lo, hi] maps to downstream_lo (a hole ending at a replicated record)
};

struct OffsetRun {
    std::string topic; // source topic
    int32_t partition = 0;
    int64_t upstream_lo = 0;
    int64_t upstream_hi = 0;
    int64_t downstream_lo = 0;
    RunKind kind = RunKind::dense;
    int64_t through = -1; // offset-syncs topic offset of the latest sync this state reflects

    // The target offset of upstream_hi: the latest sync this interval ends at.
    int64_t downstream_hi() const {
        return kind == RunKind::dense ? downstream_lo + (upstream_hi - upstream_lo) : downstream_lo;
    }
    // Same interval (ignores `through`).
    bool same_interval(const OffsetRun& o) const {
        return upstream_hi == o.upstream_hi && downstream_lo == o.downstream_lo && kind == o.kind;
    }
    bool operator==(const OffsetRun&) const = default;
};

// Compaction key of a run record.
using OffsetRunKey = std::tuple<std::string, int32_t, int64_t>; // topic, partition, upstream_lo

std::string offset_runs_topic(const std::string& source_alias);

Result<std::string> encode_run_key(const OffsetRun& run);
Result<std::string> encode_run_value(const OffsetRun& run);
Result<OffsetRunKey> decode_run_key(std::string_view key);
// `run` holds the decoded key; fills in the value fields. Rejects unknown kinds, hi < lo and
// negative offsets.
Result<OffsetRun> decode_run(std::string_view key, std::string_view value);

// One record to write: a run, or a tombstone for `run`'s key.
struct RunChange {
    OffsetRun run;
    bool tombstone = false;
};

// What the offset runs topic holds, as the latest record per key (a compacted topic's view), and
// the changes that bring it to a translator's current knowledge.
class PersistedRuns {
public:
    // Applies one record of the topic, in topic order; a null value is a tombstone.
    void apply_record(const OffsetRunKey& key, const std::optional<OffsetRun>& run);
    void apply(const std::vector<RunChange>& changes);

    // The changes that make the topic equal to `current` (all intervals of the partitions the
    // translator knows, each partition's intervals ascending). Per partition: changed or new
    // intervals ascending by upstream_lo, then tombstones of intervals the translator no longer
    // has. Partitions absent from `current` are left alone.
    std::vector<RunChange> diff(const std::vector<OffsetRun>& current) const;

    std::vector<OffsetRun> all() const;
    size_t size() const { return runs_.size(); }

private:
    std::map<OffsetRunKey, OffsetRun> runs_;
};

// The intervals of one partition as loaded from the topic, cleaned for the translator: sorted by
// upstream_lo; records after the one written last (highest `through`, then highest lo) are left
// overs of an interrupted rewrite and dropped, as are records overlapping an earlier one.
std::vector<OffsetRun> consistent_runs(std::vector<OffsetRun> partition_runs);

// Drops every partition with a run that claims a sync at or past `syncs_end`, the current end
// offset of the offset-syncs topic: that topic was recreated, the runs describe another history.
std::vector<OffsetRun> runs_within(std::vector<OffsetRun> runs, int64_t syncs_end);

} // namespace kmirror::mirror
