#include "mirror/verify.h"

#include "kafka/admin.h"
#include "mirror/client_spec.h"

#include <algorithm>
#include <functional>
#include <string_view>

namespace kmirror::mirror {
namespace {

uint64_t mix(uint64_t h, uint64_t v) {
    // splitmix64's finaliser over the running value: order-sensitive, well spread.
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

uint64_t mix_bytes(uint64_t h, const void* data, size_t size) {
    if (data == nullptr) {
        return mix(h, 0x6e756c6cULL); // null, distinct from empty
    }
    const std::string_view bytes(static_cast<const char*>(data), size);
    return mix(mix(h, size), std::hash<std::string_view>{}(bytes));
}

// A consumer spec for reading: the flow's client settings, no group membership, read_committed.
Result<kafka::ClientSpec> reader_spec(const std::string& cluster, const std::string& role,
                                      const Properties& java, std::vector<std::string>& notes) {
    return build_client_spec({cluster,
                              role,
                              java,
                              kafka::ClientRole::consumer,
                              // A long fetch wait only delays reading the end of a partition.
                              {{"client.id", "kmirror-" + role}, {"fetch.wait.max.ms", "10"}},
                              {{"isolation.level", "read_committed"}}},
                             notes);
}

// The digests of the partition's records from the first one at or after `since_ms` (all when
// negative) to its end.
Result<std::vector<DigestedRecord>> read_digests(std::optional<PartitionReader>& reader,
                                                 const kafka::ClientSpec& spec,
                                                 const std::string& topic, int32_t partition,
                                                 int64_t since_ms,
                                                 std::chrono::milliseconds timeout) {
    if (!reader) {
        auto created = PartitionReader::create(spec, topic, partition);
        if (!created) {
            return created.error();
        }
        reader.emplace(std::move(created).value());
    }
    int64_t start = RD_KAFKA_OFFSET_BEGINNING;
    if (since_ms >= 0) {
        auto offset = reader->offset_for_time(topic, partition, since_ms, timeout);
        if (!offset) {
            return offset.error();
        }
        start = *offset;
    }
    if (auto s = reader->reassign(topic, partition, start); !s) {
        return s.error();
    }
    std::vector<DigestedRecord> out;
    auto done = reader->read_to_end(
        [&out](const rd_kafka_message_t& m) {
            out.push_back({m.offset, record_digest(m)});
        },
        timeout);
    if (!done) {
        return done.error();
    }
    if (!*done) {
        return make_error("cluster '" + spec.cluster + "' topic '" + topic + "' partition " +
                          std::to_string(partition) + ": not read to its end within " +
                          std::to_string(timeout.count() / 1000) + " s (" +
                          std::to_string(out.size()) + " records read; --timeout)");
    }
    return out;
}

} // namespace

uint64_t record_digest(const rd_kafka_message_t& m) {
    uint64_t h = mix_bytes(0, m.key, m.key_len);
    h = mix_bytes(h, m.payload, m.len);
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const int64_t timestamp = rd_kafka_message_timestamp(&m, &type);
    h = mix(mix(h, static_cast<uint64_t>(type)), static_cast<uint64_t>(timestamp));
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        headers != nullptr) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            h = mix_bytes(mix_bytes(h, name, std::char_traits<char>::length(name)), value, size);
        }
    }
    return h;
}

Result<FlowVerifier> FlowVerifier::create(const config::MirrorSourceSettings& s) {
    FlowVerifier v;
    v.name_ = s.source_alias + "->" + s.target_alias;
    v.source_alias_ = s.source_alias;
    v.target_alias_ = s.target_alias;
    v.heartbeats_replication_enabled_ = s.heartbeats_replication_enabled;
    v.admin_timeout_ = s.admin_timeout;
    auto policy = make_replication_policy(s.raw);
    if (!policy) {
        return policy.error();
    }
    v.policy_ = std::move(policy).value();
    auto filter = TopicFilter::create(s.raw);
    if (!filter) {
        return filter.error();
    }
    v.filter_ = std::make_shared<const TopicFilter>(std::move(filter).value());
    std::vector<std::string> notes; // settings without a librdkafka equivalent: irrelevant here
    auto admin = build_client_spec({s.source_alias,
                                    "verify-source-admin",
                                    s.source_admin,
                                    kafka::ClientRole::admin,
                                    {{"client.id", "kmirror-verify-source-admin"}},
                                    {}},
                                   notes);
    if (!admin) {
        return admin.error();
    }
    v.source_admin_ = std::move(admin).value();
    auto source = reader_spec(s.source_alias, "verify-source-consumer", s.source_consumer, notes);
    if (!source) {
        return source.error();
    }
    v.source_consumer_ = std::move(source).value();
    auto target = reader_spec(s.target_alias, "verify-target-consumer", s.target_consumer, notes);
    if (!target) {
        return target.error();
    }
    v.target_consumer_ = std::move(target).value();
    return v;
}

Result<std::vector<std::pair<std::string, int>>> FlowVerifier::topics(const JavaRegex* only) const {
    auto admin = kafka::Admin::create(source_admin_);
    if (!admin) {
        return admin.error();
    }
    auto listed = admin->list_topics(admin_timeout_);
    if (!listed) {
        return listed.error();
    }
    std::vector<std::pair<std::string, int>> out;
    for (const auto& [name, info] : *listed) {
        // Heartbeats keep coming while the flows run, and with a policy that keeps names the
        // target's own land in the same topic: checked only when asked for by name.
        const bool asked =
            only != nullptr ? only->full_match(name) : !policy_->is_heartbeats_topic(name);
        if (asked && should_replicate_topic(*filter_, *policy_, target_alias_, name,
                                            heartbeats_replication_enabled_)) {
            out.emplace_back(name, info.partitions);
        }
    }
    return out; // std::map order: by name
}

Result<PartitionCheck> FlowVerifier::check(const std::string& source_topic, int32_t partition,
                                           std::chrono::milliseconds timeout, int64_t since_ms) {
    PartitionCheck c;
    c.source_topic = source_topic;
    c.target_topic = policy_->format_remote_topic(source_alias_, source_topic);
    c.partition = partition;
    auto target = read_digests(target_reader_, target_consumer_, c.target_topic, partition,
                               since_ms, timeout);
    if (!target) {
        return target.error();
    }
    auto source =
        read_digests(source_reader_, source_consumer_, source_topic, partition, since_ms, timeout);
    if (!source) {
        return source.error();
    }
    c.source_records = static_cast<int64_t>(source->size());
    c.target_records = static_cast<int64_t>(target->size());
    c.match = match_partition(*source, *target);
    return c;
}

} // namespace kmirror::mirror
