#include "mirror/heartbeat_task.h"

#include "kafka/admin.h"
#include "mirror/client_spec.h"
#include "mirror/formats.h"
#include "mirror/replication_policy.h"
#include "mirror/topic_sync.h"
#include "util/log.h"

#include <chrono>

namespace kmirror::mirror {

HeartbeatTask::HeartbeatTask(const config::MirrorHeartbeatSettings& settings)
    : settings_(settings) {}

HeartbeatTask::~HeartbeatTask() {
    stop();
}

Result<std::unique_ptr<HeartbeatTask>>
HeartbeatTask::create(const config::MirrorHeartbeatSettings& s, std::function<bool()> is_leader) {
    std::unique_ptr<HeartbeatTask> task(new HeartbeatTask(s));
    task->is_leader_ = std::move(is_leader);
    auto policy = make_replication_policy(s.raw);
    if (!policy) {
        return policy.error();
    }
    task->topic_ = (*policy)->heartbeats_topic();
    const std::string id = s.source_alias + "->" + s.target_alias + "|" + s.name + "|";
    auto producer = build_client_spec(
        ClientSpecRequest{s.target_alias,
                          "heartbeat-producer",
                          s.target_producer,
                          kafka::ClientRole::producer,
                          {{"client.id", id + "heartbeat-producer"}, {"linger.ms", "0"}},
                          {{"acks", "all"}}},
        task->notes_);
    if (!producer) {
        return producer.error();
    }
    task->producer_spec_ = std::move(producer).value();
    auto admin = build_client_spec(ClientSpecRequest{s.target_alias,
                                                     "heartbeat-admin",
                                                     s.target_admin,
                                                     kafka::ClientRole::admin,
                                                     {{"client.id", id + "heartbeat-admin"}},
                                                     {}},
                                   task->notes_);
    if (!admin) {
        return admin.error();
    }
    task->admin_spec_ = std::move(admin).value();
    return task;
}

Status HeartbeatTask::start() {
    auto admin = kafka::Admin::create(admin_spec_);
    if (!admin) {
        return admin.error();
    }
    TopicSync::ensure_internal_topic(*admin, topic_, settings_.heartbeats_replication_factor,
                                     settings_.admin_timeout);
    auto producer = kafka::make_producer(producer_spec_);
    if (!producer) {
        return producer.error();
    }
    producer_ = std::move(producer).value();
    thread_ = std::thread([this] { run(); });
    return {};
}

void HeartbeatTask::stop() noexcept {
    if (stopping_.exchange(true)) {
        return;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    if (producer_) {
        rd_kafka_flush(producer_.get(), 2000);
        producer_.reset();
    }
}

void HeartbeatTask::run() {
    bool warned = false;
    while (!stopping_.load()) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, settings_.emit_heartbeats_interval,
                           [this] { return stopping_.load(); });
        }
        rd_kafka_poll(producer_.get(), 0);
        if (stopping_.load() || (is_leader_ && !is_leader_())) {
            continue;
        }
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        const Heartbeat hb{settings_.source_alias, settings_.target_alias, now};
        auto key = encode_key(hb);
        auto value = encode_value(hb);
        if (!key || !value) {
            continue; // aliases longer than 32767 bytes: rejected by config long before
        }
        auto err = rd_kafka_producev(
            producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key->data(), key->size()),
            RD_KAFKA_V_VALUE(value->data(), value->size()), RD_KAFKA_V_TIMESTAMP(now),
            RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (!warned) {
                log::warn("cluster '" + settings_.target_alias + "' topic '" + topic_ +
                          "': cannot send heartbeats: " + rd_kafka_err2str(err));
                warned = true;
            }
            continue;
        }
        warned = false;
        ++sent_;
    }
}

} // namespace kmirror::mirror
