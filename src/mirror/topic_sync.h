// TopicSync: what MirrorSourceConnector does through admin clients — finds the source topics
// to replicate, creates their replicas on the target (partition count, replication factor,
// filtered configs), propagates partition increases, and keeps topic configs in sync.
// MM2 never deletes target topics, partitions or configs, and neither does this.
//
// Thread: used by the flow's control thread only.
#pragma once

#include "config/connector_config.h"
#include "kafka/admin.h"
#include "mirror/replication_policy.h"
#include "mirror/source_task.h"
#include "mirror/topic_filter.h"

#include <map>
#include <memory>
#include <set>
#include <string>

namespace kmirror::mirror {

class TopicSync {
public:
    TopicSync(const config::MirrorSourceSettings& settings, const ReplicationPolicy& policy,
              TopicFilter topic_filter, ConfigPropertyFilter config_filter, kafka::Admin& source,
              kafka::Admin& target);

    // Discovers topics, creates what is missing on the target and returns the replica topics
    // ready to be replicated. Per-topic problems are logged (naming the topic) and leave the
    // other topics unaffected; an error means a cluster could not be asked at all.
    Result<TopicMap> refresh();

    // Brings replica topic configs in line with their source topics (only when different).
    void sync_configs(const TopicMap& topics);

    // Creates a one-partition compacted internal topic if missing; permission problems are
    // tolerated as MM2 does (someone else may have created it).
    static void ensure_internal_topic(kafka::Admin& admin, const std::string& topic,
                                      int replication_factor, std::chrono::milliseconds timeout);

    // Count of per-topic problems seen by the last refresh/sync (for status and metrics).
    int last_errors() const { return last_errors_; }

private:
    std::map<std::string, std::string>
    replicable_config(const std::vector<kafka::ConfigEntryInfo>& entries) const;
    void report_once(const std::string& key, const std::string& message);

    const config::MirrorSourceSettings& settings_;
    const ReplicationPolicy& policy_;
    TopicFilter topic_filter_;
    ConfigPropertyFilter config_filter_;
    kafka::Admin& source_;
    kafka::Admin& target_;
    std::map<std::string, std::string> reported_; // topic -> last problem logged
    int last_errors_ = 0;
};

} // namespace kmirror::mirror
