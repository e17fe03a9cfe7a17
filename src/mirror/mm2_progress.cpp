#include "mirror/mm2_progress.h"

#include "kafka/handles.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

namespace kmirror::mirror {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::optional<json> parse(std::string_view text) {
    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        return std::nullopt;
    }
    return doc;
}

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, std::numeric_limits<int>::max()));
}

} // namespace

Mm2RecordKind apply_mm2_offset_record(Mm2Progress& progress, std::string_view connector,
                                      std::string_view source_alias,
                                      std::optional<std::string_view> key,
                                      std::optional<std::string_view> value) {
    if (!key) {
        return Mm2RecordKind::malformed;
    }
    auto k = parse(*key);
    if (!k || !k->is_array() || k->size() != 2 || !(*k)[0].is_string() || !(*k)[1].is_object()) {
        return Mm2RecordKind::malformed;
    }
    if ((*k)[0].get<std::string>() != connector) {
        return Mm2RecordKind::other;
    }
    const json& part = (*k)[1];
    // MirrorSourceTask's source partition has exactly these three fields; checkpoint and
    // heartbeat records of the same connector name would not.
    auto cluster = part.find("cluster");
    if (part.size() != 3 || cluster == part.end() || !part.contains("topic") ||
        !part.contains("partition")) {
        return Mm2RecordKind::other;
    }
    if (!cluster->is_string()) {
        return Mm2RecordKind::malformed;
    }
    if (cluster->get<std::string>() != source_alias) {
        return Mm2RecordKind::other;
    }
    const json& topic = part["topic"];
    const json& partition = part["partition"];
    if (!topic.is_string() || topic.get<std::string>().empty() || !partition.is_number_integer() ||
        partition.get<int64_t>() < 0 ||
        partition.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
        return Mm2RecordKind::malformed;
    }
    const std::pair<std::string, int32_t> tp{topic.get<std::string>(),
                                             static_cast<int32_t>(partition.get<int64_t>())};
    if (!value) {
        progress.erase(tp); // tombstone (an offset reset)
        return Mm2RecordKind::cleared;
    }
    auto v = parse(*value);
    if (!v || !v->is_object()) {
        return Mm2RecordKind::malformed;
    }
    auto offset = v->find("offset");
    if (offset == v->end() || offset->is_null()) {
        progress.erase(tp); // MM2 reads no offset as -1: it does not seek
        return Mm2RecordKind::cleared;
    }
    if (!offset->is_number_integer()) {
        return Mm2RecordKind::malformed;
    }
    const int64_t last = offset->is_number_unsigned()
                             ? static_cast<int64_t>(std::min<uint64_t>(
                                   offset->get<uint64_t>(),
                                   static_cast<uint64_t>(std::numeric_limits<int64_t>::max() - 1)))
                             : offset->get<int64_t>();
    if (last < 0) {
        progress.erase(tp);
        return Mm2RecordKind::cleared;
    }
    progress[tp] = std::min(last, std::numeric_limits<int64_t>::max() - 1);
    return Mm2RecordKind::offset;
}

Result<Mm2Progress> read_mm2_progress(kafka::ClientSpec spec, const std::string& topic,
                                      const std::string& connector, const std::string& source_alias,
                                      std::chrono::milliseconds timeout) {
    const std::string where = "cluster '" + spec.cluster + "' topic '" + topic + "'";
    spec.role = "mm2-offsets-reader";
    spec.settings.emplace_back("group.id", "kmirror-reader.assign");
    spec.settings.emplace_back("enable.auto.commit", "false");
    spec.settings.emplace_back("enable.auto.offset.store", "false");
    spec.settings.emplace_back("enable.partition.eof", "true");
    spec.settings.emplace_back("auto.offset.reset", "earliest");
    spec.settings.emplace_back("allow.auto.create.topics", "false");
    auto made = kafka::make_consumer(spec);
    if (!made) {
        return made.error();
    }
    kafka::HandlePtr consumer = std::move(made).value();
    struct Closer {
        kafka::HandlePtr& handle;
        ~Closer() {
            rd_kafka_assign(handle.get(), nullptr);
            kafka::close_consumer(handle);
        }
    } closer{consumer};
    const auto deadline = Clock::now() + timeout;

    // How many partitions (Connect's offsets topic has 25 by default).
    int partitions = 0;
    {
        rd_kafka_topic_t* rkt = rd_kafka_topic_new(consumer.get(), topic.c_str(), nullptr);
        const rd_kafka_metadata_t* md = nullptr;
        auto err = rd_kafka_metadata(consumer.get(), 0, rkt, &md, remaining_ms(deadline));
        rd_kafka_topic_destroy(rkt);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error(where + ": cannot read metadata: " + rd_kafka_err2str(err));
        }
        rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        for (int i = 0; i < md->topic_cnt; ++i) {
            if (topic == md->topics[i].topic) {
                topic_err = md->topics[i].err;
                partitions = md->topics[i].partition_cnt;
            }
        }
        rd_kafka_metadata_destroy(md);
        if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
            topic_err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
            return Mm2Progress{};
        }
        if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error(where + ": " + rd_kafka_err2str(topic_err));
        }
    }

    // Read each non-empty partition up to its end offset taken now.
    std::map<int32_t, int64_t> end_of;
    auto list = kafka::make_partition_list(partitions);
    for (int32_t p = 0; p < partitions; ++p) {
        int64_t low = 0;
        int64_t high = 0;
        auto err = rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), p, &low, &high,
                                                    remaining_ms(deadline));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error(where + " partition " + std::to_string(p) +
                              ": cannot read the end offset: " + rd_kafka_err2str(err));
        }
        if (high > low) {
            end_of[p] = high;
            rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
        }
    }
    Mm2Progress progress;
    if (end_of.empty()) {
        return progress;
    }
    if (auto err = rd_kafka_assign(consumer.get(), list.get()); err) {
        return make_error(where + ": cannot read: " + rd_kafka_err2str(err));
    }
    while (!end_of.empty()) {
        if (Clock::now() >= deadline) {
            return make_error(where + ": not read to its end within " +
                              std::to_string(timeout.count()) + " ms (" +
                              std::to_string(end_of.size()) + " partition(s) left)");
        }
        kafka::MessagePtr m(
            rd_kafka_consumer_poll(consumer.get(), std::min(remaining_ms(deadline), 200)));
        if (!m) {
            continue;
        }
        const int32_t p = m->partition;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            end_of.erase(p); // caught up (under read_committed the end may be the LSO)
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error(where + " partition " + std::to_string(p) + ": " +
                              rd_kafka_message_errstr(m.get()));
        }
        std::optional<std::string_view> key;
        std::optional<std::string_view> value;
        if (m->key != nullptr) {
            key = std::string_view(static_cast<const char*>(m->key), m->key_len);
        }
        if (m->payload != nullptr) {
            value = std::string_view(static_cast<const char*>(m->payload), m->len);
        }
        apply_mm2_offset_record(progress, connector, source_alias, key, value);
        if (auto it = end_of.find(p); it != end_of.end() && m->offset + 1 >= it->second) {
            end_of.erase(it);
        }
    }
    return progress;
}

} // namespace kmirror::mirror
