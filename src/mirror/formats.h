// Byte formats of MM2's internal records (spec §4.0-4.4): offset syncs, checkpoints and
// heartbeats, as Java MM2 writes and reads them, so both can share the same topics.
//
// Encoding: Kafka's old-style protocol structs, fields in order, big-endian integers, STRING =
// INT16 length + UTF-8 bytes (0..32767). Checkpoint and heartbeat values start with an INT16
// version (0). Decoding ignores trailing bytes and, like Java with assertions off, reads any
// version with the version-0 layout.
// Thread rules: free functions on values; safe from any thread.
#pragma once

#include "util/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace kmirror::mirror {

// One record of the offset-syncs topic: upstream record `upstream_offset` of the *source*
// topic-partition was written at `downstream_offset` on the target.
struct OffsetSync {
    std::string topic; // source topic name, not renamed
    int32_t partition = 0;
    int64_t upstream_offset = 0;
    int64_t downstream_offset = 0;

    bool operator==(const OffsetSync&) const = default;
};

// One record of the checkpoints topic. `topic` is the downstream (renamed) topic.
struct Checkpoint {
    std::string group;
    std::string topic;
    int32_t partition = 0;
    int64_t upstream_offset = 0;
    int64_t downstream_offset = 0;
    std::string metadata; // never null in Java; "" when the commit had none

    bool operator==(const Checkpoint&) const = default;
};

// One record of the heartbeats topic.
struct Heartbeat {
    std::string source_alias;
    std::string target_alias;
    int64_t timestamp = 0; // epoch milliseconds

    bool operator==(const Heartbeat&) const = default;
};

// Largest STRING Kafka's protocol types can carry.
inline constexpr size_t kMaxStringBytes = 32767;

// Encoders fail only when a string is longer than kMaxStringBytes (Java would throw too).
Result<std::string> encode_key(const OffsetSync& sync);
Result<std::string> encode_value(const OffsetSync& sync);
Result<std::string> encode_key(const Checkpoint& checkpoint);
Result<std::string> encode_value(const Checkpoint& checkpoint);
Result<std::string> encode_key(const Heartbeat& heartbeat);
Result<std::string> encode_value(const Heartbeat& heartbeat);

// Decoders reject truncated input and negative string lengths; errors name the record type and
// the field.
Result<OffsetSync> decode_offset_sync(std::string_view key, std::string_view value);
Result<Checkpoint> decode_checkpoint(std::string_view key, std::string_view value);
Result<Heartbeat> decode_heartbeat(std::string_view key, std::string_view value);

// The toString() that MM2's KIP-597 console formatters print, e.g.
// OffsetSync{topicPartition=topic1-3, upstreamOffset=1000, downstreamOffset=995}
std::string to_string(const OffsetSync& sync);
std::string to_string(const Checkpoint& checkpoint);
std::string to_string(const Heartbeat& heartbeat);

} // namespace kmirror::mirror
