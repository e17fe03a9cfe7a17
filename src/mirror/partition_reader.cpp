#include "mirror/partition_reader.h"

namespace kmirror::mirror {

using Clock = std::chrono::steady_clock;

Result<PartitionReader> PartitionReader::create(kafka::ClientSpec spec, std::string topic,
                                                int32_t partition) {
    PartitionReader r;
    spec.settings.emplace_back("group.id", "kmirror-reader.assign");
    spec.settings.emplace_back("enable.auto.commit", "false");
    spec.settings.emplace_back("enable.auto.offset.store", "false");
    spec.settings.emplace_back("enable.partition.eof", "true");
    spec.settings.emplace_back("auto.offset.reset", "earliest");
    auto consumer = kafka::make_consumer(spec);
    if (!consumer) {
        return consumer.error();
    }
    r.consumer_ = std::move(consumer).value();
    r.spec_ = std::move(spec);
    if (auto s = r.reassign(std::move(topic), partition); !s) {
        return s.error();
    }
    return r;
}

Status PartitionReader::reassign(std::string topic, int32_t partition, int64_t start) {
    topic_ = std::move(topic);
    partition_ = partition;
    position_ = std::max<int64_t>(start, 0);
    auto list = kafka::make_partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition)->offset = start;
    if (auto err = rd_kafka_assign(consumer_.get(), list.get()); err) {
        return make_error("cluster '" + spec_.cluster + "' topic '" + topic_ +
                          "': cannot read: " + rd_kafka_err2str(err));
    }
    return {};
}

Result<int64_t> PartitionReader::offset_for_time(const std::string& topic, int32_t partition,
                                                 int64_t timestamp_ms,
                                                 std::chrono::milliseconds timeout) {
    auto list = kafka::make_partition_list(1);
    auto* tp = rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
    tp->offset = timestamp_ms;
    auto err =
        rd_kafka_offsets_for_times(consumer_.get(), list.get(), static_cast<int>(timeout.count()));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = tp->err;
    }
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
        return int64_t{0}; // no topic yet: read it (empty) from the start
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error("cluster '" + spec_.cluster + "' topic '" + topic + "' partition " +
                          std::to_string(partition) + ": cannot find the offset for time " +
                          std::to_string(timestamp_ms) + ": " + rd_kafka_err2str(err));
    }
    // -1 (RD_KAFKA_OFFSET_END): no record that late.
    return tp->offset;
}

PartitionReader::~PartitionReader() {
    if (consumer_) {
        rd_kafka_assign(consumer_.get(), nullptr);
        kafka::close_consumer(consumer_);
    }
}

PartitionReader::MessageHandler PartitionReader::key_value(const Handler& handler) {
    return [&handler](const rd_kafka_message_t& m) {
        handler(std::string_view(static_cast<const char*>(m.key), m.key_len),
                std::string_view(static_cast<const char*>(m.payload), m.len), m.offset);
    };
}

Status PartitionReader::handle_message(const rd_kafka_message_t* m, const MessageHandler& handler) {
    // A record or EOF of an earlier assignment (reassign); errors of no partition in particular
    // (the topic's, the client's) still count.
    if (m->rkt != nullptr && (rd_kafka_topic_name(m->rkt) != topic_ ||
                              (m->partition >= 0 && m->partition != partition_))) {
        return {};
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        position_ = std::max(position_, m->offset);
        return {};
    }
    if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        return {}; // not created yet: empty
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error("cluster '" + spec_.cluster + "' topic '" + topic_ + "' partition " +
                          std::to_string(partition_) + ": " + rd_kafka_message_errstr(m));
    }
    handler(*m);
    position_ = m->offset + 1;
    return {};
}

Status PartitionReader::poll(const Handler& handler, std::chrono::milliseconds wait) {
    return poll(key_value(handler), wait);
}

Status PartitionReader::poll(const MessageHandler& handler, std::chrono::milliseconds wait) {
    auto deadline = Clock::now() + wait;
    int budget = 10000; // bounded batch per call
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        kafka::MessagePtr m(rd_kafka_consumer_poll(
            consumer_.get(),
            static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(left.count(), 100)))));
        if (!m) {
            if (Clock::now() >= deadline) {
                return {};
            }
            continue;
        }
        if (auto s = handle_message(m.get(), handler); !s) {
            return s;
        }
        if (--budget == 0 || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            return {};
        }
    }
}

Result<bool> PartitionReader::read_to_end(const Handler& handler,
                                          std::chrono::milliseconds timeout) {
    return read_to_end(key_value(handler), timeout);
}

Result<bool> PartitionReader::read_to_end(const MessageHandler& handler,
                                          std::chrono::milliseconds timeout) {
    int64_t low = 0;
    int64_t high = 0;
    auto err = rd_kafka_query_watermark_offsets(consumer_.get(), topic_.c_str(), partition_, &low,
                                                &high, static_cast<int>(timeout.count()));
    // librdkafka answers a topic it has no metadata for yet with any of these.
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
        return true;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error("cluster '" + spec_.cluster + "' topic '" + topic_ + "' partition " +
                          std::to_string(partition_) +
                          ": cannot read the end offset: " + rd_kafka_err2str(err));
    }
    const auto deadline = Clock::now() + timeout;
    while (position_ < high) {
        if (Clock::now() >= deadline) {
            return false;
        }
        if (auto s = poll(handler, std::chrono::milliseconds(200)); !s) {
            return s.error();
        }
    }
    return true;
}

} // namespace kmirror::mirror
