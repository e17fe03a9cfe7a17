// Metrics of one replication flow (MM2's MirrorSourceConnector metrics, the Connect task and
// consumer metrics dashboards read, and kmirror's lag series): see docs/metrics.md.
//
// SourceFlowProbe lives as long as its Flow; SourcePartitionProbe as long as the task owns the
// partition (its series disappear when the partition is released, as MM2's do). Recording is
// lock-free: the partition probe is resolved once at assignment and the hot path only touches
// atomics. Threads: the task thread records; any thread scrapes.
#pragma once

#include "metrics/registry.h"
#include "mirror/source_task.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::mirror {

// The parts of librdkafka's statistics JSON (STATISTICS.md) that map to the Java consumer's
// fetch-manager metrics.
struct ConsumerFetchStats {
    std::string client_id;
    int64_t rx_bytes = 0;            // incoming-byte-total
    double fetch_latency_avg_ms = 0; // broker round-trip average, over brokers that answered
    double fetch_latency_max_ms = 0;
    int64_t records_lag_max = 0;
    struct Partition {
        std::string topic;
        int32_t partition = 0;
        int64_t records_lag = -1; // -1: unknown
    };
    std::vector<Partition> partitions; // assigned partitions only
};
Result<ConsumerFetchStats> parse_consumer_stats(std::string_view json);
// Adds the batch forwarder's fetches: its partitions are not the consumer's.
void add_forwarder_fetch_stats(ConsumerFetchStats& stats, const ForwarderFetchStats& forwarded);

class SourcePartitionProbe {
public:
    // A record was polled from the source (MM2 records age and bytes here).
    void on_polled(int64_t timestamp_ms, size_t value_bytes, int64_t now_ms) noexcept {
        const double age = static_cast<double>(now_ms - timestamp_ms);
        age_->record(age, now_ms);
        age_last_->set(age);
        byte_count_->inc(value_bytes);
        bytes_->record(static_cast<double>(value_bytes), now_ms);
        int64_t none = -1;
        lag_->pending_since.compare_exchange_strong(none, timestamp_ms, std::memory_order_relaxed);
    }
    // The target acknowledged a record; `next_upstream` is the replicated position after it.
    // `records`: acknowledged together (a forwarded batch), one latency sample for all.
    void on_delivered(int64_t timestamp_ms, int64_t next_upstream, bool more_in_flight,
                      int64_t now_ms, int64_t records = 1) noexcept {
        const double latency = static_cast<double>(now_ms - timestamp_ms);
        record_count_->inc(static_cast<uint64_t>(records));
        latency_->record(latency, now_ms);
        latency_last_->set(latency);
        lag_->position.store(next_upstream, std::memory_order_relaxed);
        lag_->last_replicated_ts.store(timestamp_ms, std::memory_order_relaxed);
        lag_->pending_since.store(more_in_flight ? timestamp_ms : -1, std::memory_order_relaxed);
    }
    // Periodic refresh from the task thread: the source high watermark cached by the consumer
    // and the replicated position (next source offset to copy).
    void set_lag_inputs(int64_t high_watermark, int64_t position) noexcept {
        lag_->high_watermark.store(high_watermark, std::memory_order_relaxed);
        lag_->position.store(position, std::memory_order_relaxed);
    }

private:
    friend class SourceFlowProbe;
    struct LagState {
        std::atomic<int64_t> high_watermark{-1};
        std::atomic<int64_t> position{-1};
        std::atomic<int64_t> pending_since{-1}; // source timestamp of the oldest unacked record
        std::atomic<int64_t> last_replicated_ts{-1};
    };
    std::shared_ptr<metrics::Counter> record_count_;
    std::shared_ptr<metrics::Counter> byte_count_;
    std::shared_ptr<metrics::WindowedStat> bytes_;   // byte_rate
    std::shared_ptr<metrics::WindowedStat> latency_; // replication_latency_ms_*, record_rate
    std::shared_ptr<metrics::Gauge> latency_last_;
    std::shared_ptr<metrics::WindowedStat> age_; // record_age_ms_*
    std::shared_ptr<metrics::Gauge> age_last_;
    std::shared_ptr<LagState> lag_ = std::make_shared<LagState>();
    std::shared_ptr<void> lag_records_;
    std::shared_ptr<void> lag_seconds_;
};

class SourceFlowProbe {
public:
    struct Identity {
        std::string source;    // cluster alias
        std::string target;    // cluster alias
        std::string connector; // connector name (MirrorSourceConnector in dedicated mode)
    };
    SourceFlowProbe(metrics::Registry& registry, Identity id,
                    std::shared_ptr<SourceTaskStats> stats);
    SourceFlowProbe(const SourceFlowProbe&) = delete;
    SourceFlowProbe& operator=(const SourceFlowProbe&) = delete;

    // Registers the series of one owned partition (target topic naming, as MM2).
    std::unique_ptr<SourcePartitionProbe> partition(const std::string& target_topic,
                                                    int32_t partition);
    // librdkafka statistics of the replication consumer (called on the task thread).
    void on_consumer_stats(std::string_view json);
    void set_fetch_stats(ConsumerFetchStats stats);
    // The consumer's statistics stop (task ended): its fetch series disappear.
    void clear_consumer_stats();

private:
    struct Fetch {
        std::mutex mutex;
        std::optional<ConsumerFetchStats> latest;
    };
    metrics::Registry& registry_;
    Identity id_;
    std::shared_ptr<Fetch> fetch_ = std::make_shared<Fetch>();
    std::vector<std::shared_ptr<void>> series_;
};

} // namespace kmirror::mirror
