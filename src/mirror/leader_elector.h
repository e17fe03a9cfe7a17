// LeaderElector: "runs exactly once in the cluster" for the singletons of a flow (checkpoints,
// heartbeats) with Kafka's own group protocol (architecture.md, "Coordination"): every process
// joins the consumer group `kmirror-leader-<source>-<target>` on the target, subscribed to the
// one-partition compacted topic `kmirror-leader.<source>.internal`; whoever is assigned its
// partition 0 is the leader. When the leader stops (it leaves the group) or dies (session
// timeout), the group coordinator hands the partition to another process. The topic is never
// written; the consumer only exists for membership.
//
// Threads: one poll thread of its own; is_leader() is safe from any thread. start()/stop() from
// the owner's thread; stop() is idempotent.
#pragma once

#include "kafka/admin.h"
#include "kafka/client.h"
#include "util/result.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace kmirror::mirror {

struct LeaderElectorOptions {
    kafka::ClientSpec target_consumer; // consumer settings for the target cluster
    kafka::ClientSpec target_admin;    // to create the leader topic
    std::string source_alias;
    std::string target_alias;
    int replication_factor = 3;
    std::chrono::milliseconds admin_timeout{60000};
    std::string group; // consumer group to elect in; empty: group_name(source, target)
};

class LeaderElector {
public:
    static std::string group_name(const std::string& source, const std::string& target);
    static std::string topic_name(const std::string& source);

    explicit LeaderElector(LeaderElectorOptions options);
    ~LeaderElector();
    LeaderElector(const LeaderElector&) = delete;
    LeaderElector& operator=(const LeaderElector&) = delete;

    // Creates the leader topic if missing (tolerating existing topics and missing permission),
    // joins the group and starts polling.
    Status start();
    void stop() noexcept;

    bool is_leader() const { return leader_.load(); }

private:
    static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
    void run();

    LeaderElectorOptions options_;
    std::string group_;
    std::string topic_;
    kafka::HandlePtr consumer_;
    std::atomic<bool> leader_{false};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

} // namespace kmirror::mirror
