#pragma once

#include <chrono>
#include <cstdint>

namespace kmirror::mirror {

// When a replicated record may go to librdkafka's idempotent producer (ADR 0006).
//
// librdkafka keeps one ProduceRequest in flight per partition for an idempotent producer, and
// while a further batch of that partition is *ready* (full, or its linger.ms has passed) its
// broker thread polls the socket with a zero timeout until the request returns: a busy loop.
// So a partition gets at most one open batch: records join it while it can still be filling
// (below ~0.9 x batch.size and batch.num.messages, and before its linger has run out); after
// that they wait in the task until every record handed over is acknowledged, and then open the
// next batch together.
struct BatchGate {
    int64_t max_bytes = 0;                    // key + value bytes of one batch; 0 = no gate
    int64_t max_records = 0;                  // records of one batch
    std::chrono::microseconds fill_window{0}; // after the first record, others may join this long
};

// What the gate knows of one partition: records handed over and not yet acknowledged.
struct PartitionBatch {
    int64_t unacked_records = 0;
    int64_t unacked_bytes = 0;
    std::chrono::steady_clock::time_point opened_at{}; // first record of the open batch
};

// Whether a record of `record_bytes` may be handed over at `now`. A record that opens a batch
// (nothing unacknowledged) is always admitted. Records handed over in one pass share one `now`,
// so a pass that releases held records fills one batch even with linger.ms=0.
constexpr bool admits(const BatchGate& gate, const PartitionBatch& batch, int64_t record_bytes,
                      std::chrono::steady_clock::time_point now) {
    if (gate.max_bytes <= 0 || batch.unacked_records == 0) {
        return true;
    }
    return batch.unacked_bytes + record_bytes <= gate.max_bytes &&
           batch.unacked_records + 1 <= gate.max_records &&
           now - batch.opened_at <= gate.fill_window;
}

// The gate for a producer's batch.size, batch.num.messages and linger.ms. The fill window ends a
// millisecond before the linger does: a record that arrives later may miss the batch.
constexpr BatchGate make_batch_gate(int64_t batch_size, int64_t batch_num_messages,
                                    int64_t linger_ms) {
    const int64_t window_us = linger_ms * 1000 - 1000;
    return BatchGate{batch_size * 9 / 10 > 0 ? batch_size * 9 / 10 : 1,
                     batch_num_messages * 9 / 10 > 0 ? batch_num_messages * 9 / 10 : 1,
                     std::chrono::microseconds(window_us > 0 ? window_us : 0)};
}

} // namespace kmirror::mirror
