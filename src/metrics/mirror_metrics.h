// Names of the replication series kmirror serves (docs/metrics.md), and small helpers other
// components call to publish theirs.
//
// MM2-compatible names are what the seed's JMX-exporter rules (kafka-connect.yml) produce from
// MM2's MBeans (mm2.md §7.3), so existing dashboards work unchanged; kmirror's own series live
// in the `kmirror_` namespace.
//
// For the checkpoint task (src/mirror/checkpoint_task.*):
//
//   // once per (source, target, group), kept while the group is checkpointed:
//   metrics::CheckpointGroupMetrics group_metrics(metrics::default_registry(), "A", "B", group);
//   // after each checkpoint record for the group is acknowledged:
//   group_metrics.on_checkpoint(metrics::wall_clock_ms(), /*exact=*/translation_was_exact);
//   // MM2's checkpoint latency per (group, downstream topic, partition):
//   auto latency = metrics::checkpoint_latency(metrics::default_registry(), "A", "B", group,
//                                              "A.orders", 0);
//   latency->record(latency_ms, metrics::wall_clock_ms());
//
// Dropping the object / handle removes its series. Threads: any; each object from one thread.
#pragma once

#include "metrics/registry.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace kmirror::metrics {

namespace names {
// MirrorSourceConnector (labels source, destination, topic = replica topic, partition).
inline constexpr const char* kSourcePrefix = "kafka_connect_mirror_source_connector_";
inline constexpr const char* kRecordCount = "kafka_connect_mirror_source_connector_record_count";
inline constexpr const char* kRecordRate = "kafka_connect_mirror_source_connector_record_rate";
inline constexpr const char* kByteCount = "kafka_connect_mirror_source_connector_byte_count";
inline constexpr const char* kByteRate = "kafka_connect_mirror_source_connector_byte_rate";
inline constexpr const char* kRecordAge = "kafka_connect_mirror_source_connector_record_age_ms";
inline constexpr const char* kReplicationLatency =
    "kafka_connect_mirror_source_connector_replication_latency_ms";
// MirrorCheckpointConnector (labels source, target, group, topic, partition).
inline constexpr const char* kCheckpointLatency =
    "kafka_connect_mirror_checkpoint_connector_checkpoint_latency_ms";
// kmirror's own.
inline constexpr const char* kLagRecords = "kmirror_replication_lag_records";
inline constexpr const char* kLagSeconds = "kmirror_replication_lag_seconds";
inline constexpr const char* kCheckpointAge = "kmirror_checkpoint_age_seconds";
inline constexpr const char* kCheckpointExact = "kmirror_checkpoint_last_translation_exact";
inline constexpr const char* kCheckpointsWritten = "kmirror_checkpoints_written_total";
} // namespace names

// Per (source, target, group) checkpoint state: kmirror_checkpoint_age_seconds (seconds since
// the last checkpoint of the group was written; NaN before the first),
// kmirror_checkpoint_last_translation_exact (1 exact, 0 approximate, NaN unknown) and
// kmirror_checkpoints_written_total.
class CheckpointGroupMetrics {
public:
    CheckpointGroupMetrics(Registry& registry, const std::string& source, const std::string& target,
                           const std::string& group);
    void on_checkpoint(int64_t now_wall_ms, bool exact) noexcept;

private:
    struct State {
        std::atomic<int64_t> last_ms{-1};
        std::atomic<int> exact{-1};
    };
    std::shared_ptr<State> state_ = std::make_shared<State>();
    std::shared_ptr<void> age_;
    std::shared_ptr<void> exact_;
    std::shared_ptr<Counter> written_;
};

// kafka_connect_mirror_checkpoint_connector_checkpoint_latency_ms{,_min,_avg,_max}: record
// `now − time the group's upstream offsets were listed` when the checkpoint is acknowledged.
// The bare name reports the last value.
class CheckpointLatency {
public:
    CheckpointLatency(Registry& registry, const std::string& source, const std::string& target,
                      const std::string& group, const std::string& topic, int32_t partition);
    void record(double latency_ms, int64_t now_wall_ms) noexcept;

private:
    std::shared_ptr<WindowedStat> stat_;
    std::shared_ptr<Gauge> last_;
};

} // namespace kmirror::metrics
