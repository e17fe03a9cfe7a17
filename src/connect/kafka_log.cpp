#include "connect/kafka_log.h"

#include "kafka/admin.h"
#include "mirror/client_spec.h"
#include "util/log.h"

namespace kmirror::connect {

KafkaLog::KafkaLog(std::string topic, int replication_factor, std::string role, Handler handler)
    : topic_(std::move(topic)), replication_factor_(replication_factor), role_(std::move(role)),
      handler_(std::move(handler)) {}

KafkaLog::~KafkaLog() {
    stop();
}

Status KafkaLog::start(const WorkerConfig& worker, std::chrono::milliseconds timeout) {
    std::vector<std::string> notes;
    auto admin_spec = mirror::build_client_spec(
        {"worker", role_ + "-admin", worker.admin, kafka::ClientRole::admin, {}, {}}, notes);
    if (!admin_spec) {
        return admin_spec.error();
    }
    auto admin = kafka::Admin::create(*admin_spec);
    if (!admin) {
        return admin.error();
    }
    auto created = admin->create_topics(
        {kafka::NewTopicSpec{topic_, 1, replication_factor_, {{"cleanup.policy", "compact"}}}},
        timeout);
    if (!created) {
        return make_error("worker cluster: cannot create topic '" + topic_ +
                          "': " + created.error().message);
    }
    for (const auto& outcome : *created) {
        if (!outcome.ok() && outcome.code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            return make_error("worker cluster: cannot create topic '" + topic_ +
                              "': " + outcome.message);
        }
    }
    auto producer_spec =
        mirror::build_client_spec({"worker",
                                   role_ + "-producer",
                                   worker.producer,
                                   kafka::ClientRole::producer,
                                   {{"client.id", "kmirror-worker-" + role_}},
                                   {{"enable.idempotence", "true"}, {"acks", "all"}}},
                                  notes);
    if (!producer_spec) {
        return producer_spec.error();
    }
    auto producer = kafka::make_producer(*producer_spec);
    if (!producer) {
        return producer.error();
    }
    producer_ = std::move(producer).value();
    auto consumer_spec = mirror::build_client_spec(
        {"worker", role_ + "-reader", worker.consumer, kafka::ClientRole::consumer, {}, {}}, notes);
    if (!consumer_spec) {
        return consumer_spec.error();
    }
    auto handle = [this](std::string_view key, std::string_view value, int64_t) {
        // A tombstone has no payload; no record of ours has an empty value either.
        handler_(std::string(key), value.data() == nullptr || value.empty()
                                       ? std::nullopt
                                       : std::optional(std::string(value)));
    };
    // A topic created a moment ago may not have a leader yet: retry until the deadline.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto reader = mirror::PartitionReader::create(*consumer_spec, topic_, 0);
        if (!reader) {
            return reader.error();
        }
        reader_.emplace(std::move(reader).value());
        auto done = reader_->read_to_end(handle, timeout);
        if (done && *done) {
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return done ? make_error("worker cluster: timed out reading topic '" + topic_ + "'")
                        : done.error();
        }
        std::unique_lock lock(mutex_); // back off 200 ms (nothing else can notify yet)
        advanced_.wait_for(lock, std::chrono::milliseconds(200));
    }
    {
        std::lock_guard lock(mutex_);
        position_ = reader_->position();
    }
    thread_ = std::thread([this] { run(); });
    return {};
}

void KafkaLog::run() {
    auto handle = [this](std::string_view key, std::string_view value, int64_t) {
        handler_(std::string(key), value.data() == nullptr || value.empty()
                                       ? std::nullopt
                                       : std::optional(std::string(value)));
    };
    while (!stopping_.load()) {
        if (auto st = reader_->poll(handle, std::chrono::milliseconds(100)); !st) {
            log::warn("worker: reading '" + topic_ + "': " + st.error().message);
        }
        {
            std::lock_guard lock(mutex_);
            position_ = reader_->position();
        }
        advanced_.notify_all();
    }
}

void KafkaLog::stop() noexcept {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
    if (producer_) {
        rd_kafka_flush(producer_.get(), 5000);
    }
}

Status KafkaLog::write(const std::string& key, const std::optional<std::string>& value,
                       std::chrono::milliseconds timeout) {
    void* payload = value ? const_cast<char*>(value->data()) : nullptr;
    const size_t payload_size = value ? value->size() : 0;
    const auto err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(payload, payload_size),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error("worker cluster: cannot write to '" + topic_ +
                          "': " + rd_kafka_err2str(err));
    }
    if (const auto f = rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count()));
        f != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error("worker cluster: write to '" + topic_ + "' timed out");
    }
    return sync(timeout);
}

Status KafkaLog::sync(std::chrono::milliseconds timeout) {
    int64_t low = 0;
    int64_t high = 0;
    const auto err = rd_kafka_query_watermark_offsets(producer_.get(), topic_.c_str(), 0, &low,
                                                      &high, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error("worker cluster: cannot read the end of '" + topic_ +
                          "': " + rd_kafka_err2str(err));
    }
    std::unique_lock lock(mutex_);
    if (!advanced_.wait_for(lock, timeout, [&] { return position_ >= high; })) {
        return make_error("worker cluster: timed out reading '" + topic_ + "' to its end");
    }
    return {};
}

std::string KafkaLog::cluster_id() {
    char* id = rd_kafka_clusterid(producer_.get(), 5000);
    if (id == nullptr) {
        return "";
    }
    std::string out(id);
    rd_kafka_mem_free(producer_.get(), id);
    return out;
}

} // namespace kmirror::connect
