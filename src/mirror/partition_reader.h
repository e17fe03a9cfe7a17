// PartitionReader: reads one partition of an internal topic (offset syncs, checkpoints) from the
// beginning with an assign-mode consumer (no group is joined, nothing is committed), to its end
// and then on, as MM2's KafkaBasedLog does for partition 0 of these topics.
// Thread rules: used by one thread at a time.
#pragma once

#include "kafka/client.h"
#include "util/result.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace kmirror::mirror {

class PartitionReader {
public:
    using Handler =
        std::function<void(std::string_view key, std::string_view value, int64_t offset)>;
    // The whole message (headers, timestamp, null key or value).
    using MessageHandler = std::function<void(const rd_kafka_message_t& message)>;

    // `spec` must be a consumer spec; group.id, auto commit and EOF settings are forced here.
    static Result<PartitionReader> create(kafka::ClientSpec spec, std::string topic,
                                          int32_t partition = 0);
    PartitionReader(PartitionReader&&) noexcept = default;
    PartitionReader& operator=(PartitionReader&&) noexcept = default;
    ~PartitionReader();

    // Reads another partition with the same consumer (a consumer costs a connection set-up and
    // up to a second to destroy), from `start` (an offset, RD_KAFKA_OFFSET_BEGINNING or _END).
    Status reassign(std::string topic, int32_t partition,
                    int64_t start = RD_KAFKA_OFFSET_BEGINNING);
    // The offset of the first record of `topic`-`partition` with a timestamp at or after
    // `timestamp_ms` (ListOffsets by time); RD_KAFKA_OFFSET_END when there is none, which
    // reassign() takes as a start too.
    Result<int64_t> offset_for_time(const std::string& topic, int32_t partition,
                                    int64_t timestamp_ms, std::chrono::milliseconds timeout);

    // Reads until the high watermark taken now; false when the timeout passed first (what was
    // read so far was handled). A missing topic counts as empty.
    Result<bool> read_to_end(const Handler& handler, std::chrono::milliseconds timeout);
    Result<bool> read_to_end(const MessageHandler& handler, std::chrono::milliseconds timeout);
    // Handles whatever arrives within `wait` (at most one poll round).
    Status poll(const Handler& handler, std::chrono::milliseconds wait);
    Status poll(const MessageHandler& handler, std::chrono::milliseconds wait);

    const std::string& topic() const { return topic_; }
    int64_t position() const { return position_; }

private:
    PartitionReader() = default;
    Status handle_message(const rd_kafka_message_t* m, const MessageHandler& handler);
    static MessageHandler key_value(const Handler& handler);

    kafka::ClientSpec spec_;
    kafka::HandlePtr consumer_;
    std::string topic_;
    int32_t partition_ = 0;
    int64_t position_ = 0; // next offset to read
};

} // namespace kmirror::mirror
