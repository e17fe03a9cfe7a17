// MirrorMaker 2's replication progress, as Kafka Connect stores it (spec mm2.md §4.5): the
// source offsets of MirrorSourceConnector in Connect's offsets topic on the target
// (`mm2-offsets.<source alias>.internal` in dedicated mode, the worker's offset.storage.topic
// under Connect). kmirror reads it once when it takes a flow over from MM2, so a partition
// kmirror has no progress for resumes right after the last record MM2 copied.
//
// Record format: key = JSON `["<connector name>",{"cluster":"<source alias>","partition":N,
// "topic":"<source topic>"}]`, value = JSON `{"offset":<offset of the last copied record>}`;
// a null value is a tombstone; the latest record of a key wins.
#pragma once

#include "kafka/client.h"
#include "util/result.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kmirror::mirror {

// (source topic, partition) -> offset of the last record MM2 copied (it resumes at +1).
using Mm2Progress = std::map<std::pair<std::string, int32_t>, int64_t>;

enum class Mm2RecordKind {
    offset,    // set the partition's offset
    cleared,   // tombstone, or no / negative offset: MM2 would not seek (entry removed)
    other,     // another connector, cluster or kind of source partition: ignored
    malformed, // not the JSON shape MM2 writes: ignored
};

// Folds one record of the offsets topic into `progress`. `key` / `value` are nullopt for null.
// Only keys of connector `connector` whose source partition is exactly
// {cluster: source_alias, topic, partition} count.
Mm2RecordKind apply_mm2_offset_record(Mm2Progress& progress, std::string_view connector,
                                      std::string_view source_alias,
                                      std::optional<std::string_view> key,
                                      std::optional<std::string_view> value);

// Reads every partition of `topic` from the beginning to the end offsets taken at the start,
// with an assign-mode consumer built from `target_consumer` (its group is never joined, nothing
// is committed). A missing topic is empty progress; no access or the timeout is an error naming
// the cluster and topic.
Result<Mm2Progress> read_mm2_progress(kafka::ClientSpec target_consumer, const std::string& topic,
                                      const std::string& connector, const std::string& source_alias,
                                      std::chrono::milliseconds timeout);

} // namespace kmirror::mirror
