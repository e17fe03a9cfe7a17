#include "wire/messages.h"

#include "wire/codec.h"

#include <algorithm>
#include <optional>

namespace kmirror::wire {

std::string frame_request(int16_t api_key, int16_t version, int32_t correlation_id,
                          std::string_view client_id, std::string_view body) {
    Writer w;
    const size_t size_at = w.reserve_i32();
    w.i16(api_key);
    w.i16(version);
    w.i32(correlation_id);
    w.string(client_id);
    w.raw(body);
    w.patch_i32(size_at, static_cast<int32_t>(w.size() - 4));
    return w.take();
}

std::string encode_fetch(int32_t max_wait_ms, int32_t min_bytes, int32_t max_bytes,
                         int8_t isolation, const std::vector<FetchTopicRequest>& topics) {
    Writer w;
    w.i32(-1); // replica id: a consumer
    w.i32(max_wait_ms);
    w.i32(min_bytes);
    w.i32(max_bytes);
    w.i8(isolation);
    w.i32(0);  // session id: none
    w.i32(-1); // session epoch: full fetch, no session
    w.i32(static_cast<int32_t>(topics.size()));
    for (const auto& t : topics) {
        w.string(t.topic);
        w.i32(static_cast<int32_t>(t.partitions.size()));
        for (const auto& p : t.partitions) {
            w.i32(p.partition);
            w.i32(-1); // current leader epoch: not checked
            w.i64(p.offset);
            w.i64(-1); // log start offset: consumers send -1
            w.i32(p.max_bytes);
        }
    }
    w.i32(0);     // forgotten topics
    w.string(""); // rack id
    return w.take();
}

Result<FetchResponse> decode_fetch(std::string_view body) {
    Reader r(body);
    FetchResponse out;
    r.i32(); // throttle time
    out.error = r.i16();
    r.i32(); // session id
    const int32_t topics = r.i32();
    for (int32_t t = 0; t < topics && r.ok(); ++t) {
        FetchTopicResponse topic;
        topic.topic = std::string(r.string());
        const int32_t partitions = r.i32();
        for (int32_t i = 0; i < partitions && r.ok(); ++i) {
            FetchPartitionResponse p;
            p.partition = r.i32();
            p.error = r.i16();
            p.high_watermark = r.i64();
            r.i64(); // last stable offset
            p.log_start_offset = r.i64();
            const int32_t aborted = r.i32(); // -1: null
            for (int32_t a = 0; a < aborted && r.ok(); ++a) {
                AbortedTransaction txn;
                txn.producer_id = r.i64();
                txn.first_offset = r.i64();
                p.aborted.push_back(txn);
            }
            r.i32(); // preferred read replica
            p.records = r.bytes();
            topic.partitions.push_back(std::move(p));
        }
        out.topics.push_back(std::move(topic));
    }
    if (!r.ok()) {
        return make_error("malformed Fetch response (" + std::to_string(body.size()) + " bytes)");
    }
    return out;
}

std::string encode_produce(int16_t acks, int32_t timeout_ms,
                           const std::vector<ProduceTopic>& topics, std::vector<size_t>& batch_at) {
    Writer w;
    size_t total = 64;
    for (const auto& t : topics) {
        total += t.topic.size() + 8;
        for (const auto& b : t.batches) {
            total += b.batch.size() + 8;
        }
    }
    w.buffer().reserve(total);
    w.null_string(); // transactional id
    w.i16(acks);
    w.i32(timeout_ms);
    w.i32(static_cast<int32_t>(topics.size()));
    for (const auto& t : topics) {
        w.string(t.topic);
        w.i32(static_cast<int32_t>(t.batches.size()));
        for (const auto& b : t.batches) {
            w.i32(b.partition);
            w.i32(static_cast<int32_t>(b.batch.size()));
            batch_at.push_back(w.size());
            w.raw(b.batch);
        }
    }
    return w.take();
}

Result<std::vector<ProduceTopicResponse>> decode_produce(std::string_view body, int16_t version) {
    Reader r(body);
    std::vector<ProduceTopicResponse> out;
    const int32_t topics = r.i32();
    for (int32_t t = 0; t < topics && r.ok(); ++t) {
        ProduceTopicResponse topic;
        topic.topic = std::string(r.string());
        const int32_t partitions = r.i32();
        for (int32_t i = 0; i < partitions && r.ok(); ++i) {
            ProducePartitionResponse p;
            p.partition = r.i32();
            p.error = r.i16();
            p.base_offset = r.i64();
            r.i64(); // log append time
            r.i64(); // log start offset
            if (version < 8) {
                topic.partitions.push_back(std::move(p));
                continue;
            }
            const int32_t record_errors = r.i32();
            for (int32_t e = 0; e < record_errors && r.ok(); ++e) {
                r.i32(); // batch index
                const auto message = r.string();
                if (p.error_message.empty()) {
                    p.error_message = std::string(message);
                }
            }
            if (const auto message = r.string(); !message.empty()) {
                p.error_message = std::string(message);
            }
            topic.partitions.push_back(std::move(p));
        }
        out.push_back(std::move(topic));
    }
    r.i32(); // throttle time
    if (!r.ok()) {
        return make_error("malformed Produce response (" + std::to_string(body.size()) + " bytes)");
    }
    return out;
}

Result<std::vector<ApiVersionRange>> decode_api_versions(std::string_view body) {
    Reader r(body);
    const int16_t error = r.i16();
    std::vector<ApiVersionRange> out;
    const int32_t n = r.i32();
    for (int32_t i = 0; i < n && r.ok(); ++i) {
        ApiVersionRange v;
        v.api_key = r.i16();
        v.min = r.i16();
        v.max = r.i16();
        out.push_back(v);
    }
    if (!r.ok()) {
        return make_error("malformed ApiVersions response");
    }
    if (error != 0) {
        return make_error("ApiVersions failed with error code " + std::to_string(error));
    }
    return out;
}

Result<ChosenVersions> choose_versions(const std::vector<ApiVersionRange>& offered) {
    auto range = [&](int16_t key) -> std::optional<ApiVersionRange> {
        for (const auto& v : offered) {
            if (v.api_key == key) {
                return v;
            }
        }
        return std::nullopt;
    };
    struct Need {
        int16_t key;
        const char* name;
        int16_t low;
        int16_t high;
    };
    ChosenVersions chosen;
    for (const Need& need : {Need{kApiFetch, "Fetch", kFetchVersion, kFetchVersion},
                             Need{kApiProduce, "Produce", kProduceVersionMin, kProduceVersion},
                             Need{kApiInitProducerId, "InitProducerId", kInitProducerIdVersion,
                                  kInitProducerIdVersion}}) {
        const auto r = range(need.key);
        if (!r || r->max < need.low || r->min > need.high) {
            return make_error(
                std::string("the broker does not take ") + need.name + " v" +
                std::to_string(need.low) +
                (need.high != need.low ? "-v" + std::to_string(need.high) : "") +
                (r ? " (it takes v" + std::to_string(r->min) + "-v" + std::to_string(r->max) + ")"
                   : " (not offered)"));
        }
        if (need.key == kApiProduce) {
            chosen.produce = std::min(r->max, need.high);
        }
    }
    return chosen;
}

std::string encode_init_producer_id(int32_t transaction_timeout_ms) {
    Writer w;
    w.null_string(); // transactional id: an idempotent producer only
    w.i32(transaction_timeout_ms);
    return w.take();
}

Result<ProducerIdentity> decode_init_producer_id(std::string_view body) {
    Reader r(body);
    r.i32(); // throttle time
    ProducerIdentity id;
    id.error = r.i16();
    id.producer_id = r.i64();
    id.epoch = r.i16();
    if (!r.ok()) {
        return make_error("malformed InitProducerId response");
    }
    return id;
}

} // namespace kmirror::wire
