#include "mirror/source_task_probe.h"

#include "metrics/mirror_metrics.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace kmirror::mirror {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* state_name(TaskState s) {
    switch (s) {
    case TaskState::unassigned:
        return "unassigned";
    case TaskState::running:
        return "running";
    case TaskState::failed:
        return "failed";
    case TaskState::restarting:
        return "restarting";
    }
    return "unassigned";
}

} // namespace

Result<ConsumerFetchStats> parse_consumer_stats(std::string_view json) {
    auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        return make_error("librdkafka statistics are not a JSON object");
    }
    ConsumerFetchStats out;
    out.client_id = doc.value("client_id", std::string());
    out.rx_bytes = doc.value("rx_bytes", int64_t{0});
    double weighted = 0;
    double count = 0;
    double max_us = 0;
    if (auto it = doc.find("brokers"); it != doc.end() && it->is_object()) {
        for (const auto& [name, broker] : it->items()) {
            auto rtt = broker.find("rtt");
            if (rtt == broker.end() || !rtt->is_object()) {
                continue;
            }
            const double cnt = rtt->value("cnt", 0.0);
            if (cnt <= 0) {
                continue;
            }
            weighted += rtt->value("avg", 0.0) * cnt;
            count += cnt;
            max_us = std::max(max_us, rtt->value("max", 0.0));
        }
    }
    out.fetch_latency_avg_ms = count > 0 ? weighted / count / 1000.0 : kNaN;
    out.fetch_latency_max_ms = count > 0 ? max_us / 1000.0 : kNaN;
    if (auto it = doc.find("topics"); it != doc.end() && it->is_object()) {
        for (const auto& [topic, t] : it->items()) {
            auto parts = t.find("partitions");
            if (parts == t.end() || !parts->is_object()) {
                continue;
            }
            for (const auto& [pname, p] : parts->items()) {
                const int64_t partition = p.value("partition", int64_t{-1});
                if (partition < 0) {
                    continue; // the internal UA partition
                }
                const bool assigned =
                    p.value("desired", false) ||
                    p.value("fetch_state", std::string("none")) != std::string("none");
                if (!assigned) {
                    continue;
                }
                // consumer_lag needs a committed or stored offset, which this assign-mode consumer
                // never has: then it is the end (last stable offset under read_committed, else
                // the high watermark) minus the application position.
                int64_t lag = p.value("consumer_lag", int64_t{-1});
                // Before the application consumed anything the fetch position stands in.
                int64_t app = p.value("app_offset", int64_t{-1});
                if (app < 0) {
                    app = p.value("next_offset", int64_t{-1});
                }
                int64_t end = p.value("ls_offset", int64_t{-1});
                if (end < 0) {
                    end = p.value("hi_offset", int64_t{-1});
                }
                if (lag < 0 && app >= 0 && end >= 0) {
                    lag = std::max<int64_t>(0, end - app);
                }
                ConsumerFetchStats::Partition part{topic, static_cast<int32_t>(partition), lag};
                out.records_lag_max = std::max(out.records_lag_max, part.records_lag);
                out.partitions.push_back(std::move(part));
            }
        }
    }
    return out;
}

SourceFlowProbe::SourceFlowProbe(metrics::Registry& registry, Identity id,
                                 std::shared_ptr<SourceTaskStats> stats)
    : registry_(registry), id_(std::move(id)) {
    const metrics::Labels flow{{"source", id_.source}, {"target", id_.target}};
    auto counter = [&](const char* name, const char* help,
                       std::atomic<uint64_t> SourceTaskStats::*f) {
        series_.push_back(registry_.callback(
            name, help, flow, [stats, f] { return static_cast<double>(((*stats).*f).load()); },
            metrics::Type::counter));
    };
    counter("kmirror_records_replicated_total", "Records acknowledged by the target",
            &SourceTaskStats::records_copied);
    counter("kmirror_bytes_replicated_total",
            "Key and value bytes of the records acknowledged by the target",
            &SourceTaskStats::bytes_copied);
    counter("kmirror_offset_syncs_written_total",
            "Offset syncs handed to the offset-syncs producer",
            &SourceTaskStats::offset_syncs_written);
    counter("kmirror_records_lost_to_retention_total",
            "Source records deleted by retention before kmirror copied them",
            &SourceTaskStats::records_lost_to_retention);
    counter("kmirror_delivery_failures_total",
            "Records the target did not accept (each is retried from the last good offset)",
            &SourceTaskStats::delivery_failures);
    counter("kmirror_config_sync_errors_total",
            "Per-topic errors of topic creation, partition and config sync",
            &SourceTaskStats::config_sync_errors);
    series_.push_back(registry_.callback(
        "kmirror_partitions_owned", "Source partitions this process replicates", flow,
        [stats] { return static_cast<double>(stats->partitions_owned.load()); }));

    // Kafka Connect framework metrics, as the seed's exporter rules name them.
    const metrics::Labels task{{"connector", id_.connector},
                               {"task", "0"},
                               {"source", id_.source},
                               {"target", id_.target}};
    series_.push_back(registry_.callback(
        "kafka_connect_source_task_source_record_active_count",
        "Records polled from the source and not yet acknowledged by the target", task,
        [stats] { return static_cast<double>(stats->records_in_flight.load()); }));
    series_.push_back(registry_.callback(
        "kafka_connect_source_task_source_record_poll_total", "Records polled from the source",
        task, [stats] { return static_cast<double>(stats->records_polled.load()); }));
    series_.push_back(
        registry_.callback("kafka_connect_source_task_source_record_write_total",
                           "Records written to the target (acknowledged)", task,
                           [stats] { return static_cast<double>(stats->records_copied.load()); }));
    // One series per status value, 1 for the current one (Connect exports the status string).
    for (auto state :
         {TaskState::unassigned, TaskState::running, TaskState::failed, TaskState::restarting}) {
        auto labels = task;
        labels.emplace_back("status", state_name(state));
        series_.push_back(registry_.callback(
            "kafka_connect_connector_status", "Kafka Connect JMX Connector status", labels,
            [stats, state] { return stats->task_state.load() == state ? 1.0 : 0.0; }));
    }

    // Consumer fetch metrics from the latest librdkafka statistics.
    auto fetch = fetch_;
    series_.push_back(registry_.add_collector([fetch](std::vector<metrics::Sample>& out) {
        std::lock_guard lock(fetch->mutex);
        if (!fetch->latest) {
            return;
        }
        const auto& s = *fetch->latest;
        const metrics::Labels client{{"clientId", s.client_id}};
        const char* help = "Kafka consumer JMX metric type consumer-fetch-manager";
        out.push_back({"kafka_consumer_incoming_byte_total",
                       "Kafka consumer JMX metric type consumer", metrics::Type::gauge, client,
                       static_cast<double>(s.rx_bytes)});
        out.push_back({"kafka_consumer_fetch_manager_fetch_latency_avg", help, metrics::Type::gauge,
                       client, s.fetch_latency_avg_ms});
        out.push_back({"kafka_consumer_fetch_manager_fetch_latency_max", help, metrics::Type::gauge,
                       client, s.fetch_latency_max_ms});
        out.push_back({"kafka_consumer_fetch_manager_records_lag_max", help, metrics::Type::gauge,
                       client, static_cast<double>(s.records_lag_max)});
        for (const auto& p : s.partitions) {
            out.push_back({"kafka_consumer_fetch_manager_records_lag", help, metrics::Type::gauge,
                           metrics::Labels{{"clientId", s.client_id},
                                           {"topic", p.topic},
                                           {"partition", std::to_string(p.partition)}},
                           p.records_lag < 0 ? kNaN : static_cast<double>(p.records_lag)});
        }
    }));
}

std::unique_ptr<SourcePartitionProbe> SourceFlowProbe::partition(const std::string& target_topic,
                                                                 int32_t partition) {
    namespace n = metrics::names;
    auto probe = std::make_unique<SourcePartitionProbe>();
    const metrics::Labels mm2{{"source", id_.source},
                              {"destination", id_.target},
                              {"topic", target_topic},
                              {"partition", std::to_string(partition)}};
    const char* help = "Kafka Connect MM2 Source Connector Information";
    probe->record_count_ = registry_.counter(n::kRecordCount, help, mm2, metrics::Type::gauge);
    probe->byte_count_ = registry_.counter(n::kByteCount, help, mm2, metrics::Type::gauge);
    probe->bytes_ =
        registry_.windowed("kafka_connect_mirror_source_connector_byte", help, mm2,
                           metrics::WindowedParts{false, false, false, n::kByteRate, ""});
    probe->latency_ =
        registry_.windowed(n::kReplicationLatency, help, mm2,
                           metrics::WindowedParts{true, true, true, "", n::kRecordRate});
    probe->latency_last_ = registry_.gauge(n::kReplicationLatency, help, mm2);
    probe->latency_last_->set(kNaN);
    probe->age_ = registry_.windowed(n::kRecordAge, help, mm2);
    probe->age_last_ = registry_.gauge(n::kRecordAge, help, mm2);
    probe->age_last_->set(kNaN);

    const metrics::Labels own{{"source", id_.source},
                              {"target", id_.target},
                              {"topic", target_topic},
                              {"partition", std::to_string(partition)}};
    auto lag = probe->lag_;
    auto lag_records = [lag]() -> double {
        const int64_t hw = lag->high_watermark.load(std::memory_order_relaxed);
        const int64_t pos = lag->position.load(std::memory_order_relaxed);
        if (hw < 0 || pos < 0) {
            return kNaN;
        }
        return static_cast<double>(std::max<int64_t>(0, hw - pos));
    };
    probe->lag_records_ = registry_.callback(
        n::kLagRecords,
        "Source records not yet replicated: source high watermark minus the next source offset "
        "to copy (0 = caught up; NaN until known)",
        own, lag_records);
    probe->lag_seconds_ = registry_.callback(
        n::kLagSeconds,
        "Age of the oldest source record not yet replicated (0 when caught up; an upper bound "
        "while records are not fetched yet)",
        own, [lag, lag_records]() -> double {
            const double records = lag_records();
            if (!(records > 0)) {
                return records; // 0 or NaN
            }
            int64_t since = lag->pending_since.load(std::memory_order_relaxed);
            if (since < 0) {
                since = lag->last_replicated_ts.load(std::memory_order_relaxed);
            }
            if (since < 0) {
                return kNaN;
            }
            return std::max(0.0, static_cast<double>(metrics::wall_clock_ms() - since) / 1000.0);
        });
    return probe;
}

void SourceFlowProbe::on_consumer_stats(std::string_view json) {
    if (auto parsed = parse_consumer_stats(json)) {
        set_fetch_stats(std::move(parsed).value());
    }
}

void SourceFlowProbe::set_fetch_stats(ConsumerFetchStats stats) {
    std::lock_guard lock(fetch_->mutex);
    fetch_->latest = std::move(stats);
}

void add_forwarder_fetch_stats(ConsumerFetchStats& stats, const ForwarderFetchStats& forwarded) {
    stats.rx_bytes += forwarded.rx_bytes;
    if (forwarded.latency_avg_ms > 0) {
        stats.fetch_latency_avg_ms =
            stats.fetch_latency_avg_ms > 0
                ? (stats.fetch_latency_avg_ms + forwarded.latency_avg_ms) / 2
                : forwarded.latency_avg_ms;
        stats.fetch_latency_max_ms = std::max(stats.fetch_latency_max_ms, forwarded.latency_max_ms);
    }
    // The consumer's statistics list the forwarder's partitions too (it looked up their
    // leaders), with an unknown lag: the forwarder's figure replaces that.
    for (const auto& lag : forwarded.lags) {
        auto same = std::find_if(stats.partitions.begin(), stats.partitions.end(), [&](auto& p) {
            return p.topic == lag.topic && p.partition == lag.partition;
        });
        if (same == stats.partitions.end()) {
            stats.partitions.push_back({lag.topic, lag.partition, lag.records});
        } else {
            same->records_lag = lag.records;
        }
        stats.records_lag_max = std::max(stats.records_lag_max, lag.records);
    }
}

void SourceFlowProbe::clear_consumer_stats() {
    std::lock_guard lock(fetch_->mutex);
    fetch_->latest.reset();
}

} // namespace kmirror::mirror
