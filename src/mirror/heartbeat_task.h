// HeartbeatTask: what MM2's MirrorHeartbeatConnector does (spec §1.3, §4.3): creates the
// `heartbeats` topic on the target (1 partition, compacted) and, every
// emit.heartbeats.interval.seconds while `is_leader()`, writes a Heartbeat(source, target, now)
// in MM2's byte format to its partition 0. The source cluster's own `heartbeats` topic is
// replicated like any other topic by the flow (heartbeats.replication.enabled).
//
// Threads: one thread of its own; start()/stop() from the owner's thread, stop() idempotent.
#pragma once

#include "config/checkpoint_config.h"
#include "kafka/client.h"
#include "util/result.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kmirror::mirror {

class HeartbeatTask {
public:
    static Result<std::unique_ptr<HeartbeatTask>>
    create(const config::MirrorHeartbeatSettings& settings, std::function<bool()> is_leader);
    ~HeartbeatTask();
    HeartbeatTask(const HeartbeatTask&) = delete;
    HeartbeatTask& operator=(const HeartbeatTask&) = delete;

    Status start();
    void stop() noexcept;

    const std::vector<std::string>& notes() const { return notes_; }
    uint64_t heartbeats_sent() const { return sent_.load(); }

private:
    explicit HeartbeatTask(const config::MirrorHeartbeatSettings& settings);
    void run();

    config::MirrorHeartbeatSettings settings_;
    std::function<bool()> is_leader_;
    std::string topic_;
    kafka::ClientSpec producer_spec_;
    kafka::ClientSpec admin_spec_;
    std::vector<std::string> notes_;
    kafka::HandlePtr producer_;
    std::atomic<uint64_t> sent_{0};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

} // namespace kmirror::mirror
