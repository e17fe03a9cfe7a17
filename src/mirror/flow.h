// Flow: one source->target replication (what an MM2 MirrorSourceConnector and its tasks do),
// the unit that both `kmirror run` (dedicated mode) and the REST worker start and stop.
//
// Threads: a control thread (topic discovery, creation, config sync) and a task thread running
// MirrorSourceTask under a supervisor that recreates it after a failure. start() and stop() are
// called from the owner's thread; stop() is idempotent and bounded (< 10 s).
#pragma once

#include "config/connector_config.h"
#include "kafka/admin.h"
#include "mirror/replication_policy.h"
#include "mirror/source_task.h"
#include "mirror/source_task_probe.h"
#include "mirror/topic_filter.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kmirror::mirror {

class Flow {
public:
    // Validates everything that can be validated without a network: policy, filters, client
    // settings (Java names translated; values librdkafka rejects are errors naming the key).
    static Result<std::unique_ptr<Flow>> create(const config::MirrorSourceSettings& settings);
    ~Flow();
    Flow(const Flow&) = delete;
    Flow& operator=(const Flow&) = delete;

    // Reaches both clusters (bounded by admin.timeout.ms), creates the internal and replica
    // topics, then starts the threads. An error names the cluster that could not be reached.
    Status start();
    void stop() noexcept;

    const std::string& name() const { return name_; }
    std::shared_ptr<SourceTaskStats> stats() const { return stats_; }
    // Settings reported once at start: Java keys with no librdkafka equivalent, etc.
    const std::vector<std::string>& notes() const { return notes_; }

private:
    explicit Flow(const config::MirrorSourceSettings& settings);
    void control_loop();
    void task_loop();
    void publish_topics(TopicMap topics);
    bool wait_for(std::chrono::milliseconds d); // false when stopping

    config::MirrorSourceSettings settings_;
    std::string name_;
    std::unique_ptr<ReplicationPolicy> policy_;
    std::optional<TopicFilter> topic_filter_;
    std::optional<ConfigPropertyFilter> config_filter_;
    kafka::ClientSpec source_admin_spec_;
    kafka::ClientSpec target_admin_spec_;
    SourceTaskClients task_clients_;
    std::vector<std::string> notes_;
    std::shared_ptr<SourceTaskStats> stats_ = std::make_shared<SourceTaskStats>();
    std::unique_ptr<SourceFlowProbe> probe_; // metrics (metrics::default_registry())

    std::optional<kafka::Admin> source_admin_;
    std::optional<kafka::Admin> target_admin_;
    std::unique_ptr<class TopicSync> topic_sync_;

    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<TopicMap> topics_;   // latest mapping, guarded by mutex_
    MirrorSourceTask* task_ = nullptr; // current task, guarded by mutex_
    std::thread control_thread_;
    std::thread task_thread_;
};

} // namespace kmirror::mirror
