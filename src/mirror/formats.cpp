#include "mirror/formats.h"

#include <optional>

namespace kmirror::mirror {

namespace {

class Writer {
public:
    explicit Writer(std::string_view what) : what_(what) {}

    void int16(int16_t v) { put(static_cast<uint64_t>(static_cast<uint16_t>(v)), 2); }
    void int32(int32_t v) { put(static_cast<uint64_t>(static_cast<uint32_t>(v)), 4); }
    void int64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
    void string(std::string_view field, std::string_view s) {
        if (s.size() > kMaxStringBytes) {
            if (!error_) {
                error_ = make_error(std::string(what_) + ": field '" + std::string(field) +
                                    "' is " + std::to_string(s.size()) + " bytes, more than the " +
                                    std::to_string(kMaxStringBytes) +
                                    " a Kafka protocol STRING can hold");
            }
            return;
        }
        int16(static_cast<int16_t>(s.size()));
        out_ += s;
    }

    Result<std::string> finish() && {
        if (error_) {
            return *error_;
        }
        return std::move(out_);
    }

private:
    void put(uint64_t v, int bytes) {
        for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
            out_ += static_cast<char>((v >> shift) & 0xFF);
        }
    }

    std::string_view what_;
    std::string out_;
    std::optional<Error> error_;
};

// Reads fields in order; the first failure is kept and later reads return zero values so that
// decoders can be written as straight-line code and check once at the end.
class Reader {
public:
    Reader(std::string_view what, std::string_view bytes) : what_(what), bytes_(bytes) {}

    int16_t int16(std::string_view field) {
        return static_cast<int16_t>(static_cast<uint16_t>(get(field, 2)));
    }
    int32_t int32(std::string_view field) {
        return static_cast<int32_t>(static_cast<uint32_t>(get(field, 4)));
    }
    int64_t int64(std::string_view field) { return static_cast<int64_t>(get(field, 8)); }
    std::string string(std::string_view field) {
        const int16_t len = int16(field);
        if (error_) {
            return {};
        }
        if (len < 0) {
            fail(field, "negative string length " + std::to_string(len));
            return {};
        }
        const auto n = static_cast<size_t>(len);
        if (bytes_.size() - pos_ < n) {
            fail(field, "string of " + std::to_string(n) + " bytes but only " +
                            std::to_string(bytes_.size() - pos_) + " remain");
            return {};
        }
        std::string s(bytes_.substr(pos_, n));
        pos_ += n;
        return s;
    }

    const std::optional<Error>& error() const { return error_; }

private:
    uint64_t get(std::string_view field, size_t bytes) {
        if (error_) {
            return 0;
        }
        if (bytes_.size() - pos_ < bytes) {
            fail(field, "needs " + std::to_string(bytes) + " bytes at offset " +
                            std::to_string(pos_) + " but only " +
                            std::to_string(bytes_.size() - pos_) + " remain");
            return 0;
        }
        uint64_t v = 0;
        for (size_t k = 0; k < bytes; ++k) {
            v = (v << 8) | static_cast<unsigned char>(bytes_[pos_ + k]);
        }
        pos_ += bytes;
        return v;
    }
    void fail(std::string_view field, const std::string& why) {
        error_ = make_error("cannot decode " + std::string(what_) + ": field '" +
                            std::string(field) + "': " + why);
    }

    std::string_view what_;
    std::string_view bytes_;
    size_t pos_ = 0;
    std::optional<Error> error_;
};

constexpr int16_t kValueVersion = 0;

} // namespace

Result<std::string> encode_key(const OffsetSync& sync) {
    Writer w("offset sync key");
    w.string("topic", sync.topic);
    w.int32(sync.partition);
    return std::move(w).finish();
}

Result<std::string> encode_value(const OffsetSync& sync) {
    Writer w("offset sync value"); // no version header, unlike the other two
    w.int64(sync.upstream_offset);
    w.int64(sync.downstream_offset);
    return std::move(w).finish();
}

Result<std::string> encode_key(const Checkpoint& checkpoint) {
    Writer w("checkpoint key");
    w.string("group", checkpoint.group);
    w.string("topic", checkpoint.topic);
    w.int32(checkpoint.partition);
    return std::move(w).finish();
}

Result<std::string> encode_value(const Checkpoint& checkpoint) {
    Writer w("checkpoint value");
    w.int16(kValueVersion);
    w.int64(checkpoint.upstream_offset);
    w.int64(checkpoint.downstream_offset);
    w.string("metadata", checkpoint.metadata);
    return std::move(w).finish();
}

Result<std::string> encode_key(const Heartbeat& heartbeat) {
    Writer w("heartbeat key");
    w.string("sourceClusterAlias", heartbeat.source_alias);
    w.string("targetClusterAlias", heartbeat.target_alias);
    return std::move(w).finish();
}

Result<std::string> encode_value(const Heartbeat& heartbeat) {
    Writer w("heartbeat value");
    w.int16(kValueVersion);
    w.int64(heartbeat.timestamp);
    return std::move(w).finish();
}

Result<OffsetSync> decode_offset_sync(std::string_view key, std::string_view value) {
    OffsetSync sync;
    Reader k("offset sync key", key);
    sync.topic = k.string("topic");
    sync.partition = k.int32("partition");
    if (k.error()) {
        return *k.error();
    }
    Reader v("offset sync value", value);
    sync.upstream_offset = v.int64("upstreamOffset");
    sync.downstream_offset = v.int64("offset");
    if (v.error()) {
        return *v.error();
    }
    return sync;
}

Result<Checkpoint> decode_checkpoint(std::string_view key, std::string_view value) {
    Checkpoint cp;
    Reader k("checkpoint key", key);
    cp.group = k.string("group");
    cp.topic = k.string("topic");
    cp.partition = k.int32("partition");
    if (k.error()) {
        return *k.error();
    }
    Reader v("checkpoint value", value);
    (void)v.int16("version"); // Java picks the layout with a (disabled) assert: always V0
    cp.upstream_offset = v.int64("upstreamOffset");
    cp.downstream_offset = v.int64("offset");
    cp.metadata = v.string("metadata");
    if (v.error()) {
        return *v.error();
    }
    return cp;
}

Result<Heartbeat> decode_heartbeat(std::string_view key, std::string_view value) {
    Heartbeat hb;
    Reader k("heartbeat key", key);
    hb.source_alias = k.string("sourceClusterAlias");
    hb.target_alias = k.string("targetClusterAlias");
    if (k.error()) {
        return *k.error();
    }
    Reader v("heartbeat value", value);
    (void)v.int16("version");
    hb.timestamp = v.int64("timestamp");
    if (v.error()) {
        return *v.error();
    }
    return hb;
}

std::string to_string(const OffsetSync& sync) {
    return "OffsetSync{topicPartition=" + sync.topic + "-" + std::to_string(sync.partition) +
           ", upstreamOffset=" + std::to_string(sync.upstream_offset) +
           ", downstreamOffset=" + std::to_string(sync.downstream_offset) + "}";
}

std::string to_string(const Checkpoint& checkpoint) {
    return "Checkpoint{consumerGroupId=" + checkpoint.group +
           ", topicPartition=" + checkpoint.topic + "-" + std::to_string(checkpoint.partition) +
           ", upstreamOffset=" + std::to_string(checkpoint.upstream_offset) +
           ", downstreamOffset=" + std::to_string(checkpoint.downstream_offset) +
           ", metadata=" + checkpoint.metadata + "}";
}

std::string to_string(const Heartbeat& heartbeat) {
    return "Heartbeat{sourceClusterAlias=" + heartbeat.source_alias +
           ", targetClusterAlias=" + heartbeat.target_alias +
           ", timestamp=" + std::to_string(heartbeat.timestamp) + "}";
}

} // namespace kmirror::mirror
