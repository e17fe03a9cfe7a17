#include "metrics/mirror_metrics.h"

#include <limits>

namespace kmirror::metrics {

CheckpointGroupMetrics::CheckpointGroupMetrics(Registry& registry, const std::string& source,
                                               const std::string& target,
                                               const std::string& group) {
    const Labels labels{{"source", source}, {"target", target}, {"group", group}};
    auto state = state_;
    age_ = registry.callback(
        names::kCheckpointAge,
        "Seconds since kmirror last wrote a checkpoint for the consumer group (NaN before the "
        "first)",
        labels, [state] {
            const int64_t last = state->last_ms.load(std::memory_order_relaxed);
            if (last < 0) {
                return std::numeric_limits<double>::quiet_NaN();
            }
            return static_cast<double>(wall_clock_ms() - last) / 1000.0;
        });
    exact_ = registry.callback(
        names::kCheckpointExact,
        "1 when the group's last offset translation was exact, 0 when approximate (NaN before "
        "the first)",
        labels, [state] {
            const int exact = state->exact.load(std::memory_order_relaxed);
            return exact < 0 ? std::numeric_limits<double>::quiet_NaN()
                             : static_cast<double>(exact);
        });
    written_ = registry.counter(names::kCheckpointsWritten,
                                "Checkpoints written for the consumer group", labels);
}

void CheckpointGroupMetrics::on_checkpoint(int64_t now_wall_ms, bool exact) noexcept {
    state_->last_ms.store(now_wall_ms, std::memory_order_relaxed);
    state_->exact.store(exact ? 1 : 0, std::memory_order_relaxed);
    written_->inc();
}

CheckpointLatency::CheckpointLatency(Registry& registry, const std::string& source,
                                     const std::string& target, const std::string& group,
                                     const std::string& topic, int32_t partition) {
    const Labels labels{{"source", source},
                        {"target", target},
                        {"group", group},
                        {"topic", topic},
                        {"partition", std::to_string(partition)}};
    const char* help = "MM2 checkpoint latency: ms from listing the group's upstream offsets to "
                       "the acknowledgement of its checkpoint";
    stat_ = registry.windowed(names::kCheckpointLatency, help, labels);
    last_ = registry.gauge(names::kCheckpointLatency, help, labels);
    last_->set(std::numeric_limits<double>::quiet_NaN());
}

void CheckpointLatency::record(double latency_ms, int64_t now_wall_ms) noexcept {
    stat_->record(latency_ms, now_wall_ms);
    last_->set(latency_ms);
}

} // namespace kmirror::metrics
