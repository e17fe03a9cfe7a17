// Topic ACL sync, MM2's MirrorSourceConnector#syncTopicAcls (docs: spec/mm2.md §6.4): TOPIC +
// LITERAL bindings of replicated topics are copied to the target under the remote topic name;
// ALLOW WRITE is never copied and ALLOW ALL becomes READ. Target ACLs are never removed.
//
// acls_to_sync is the pure filter/transform; AclSync runs it against the clusters. Thread: an
// AclSync is used by one thread (the flow's control loop).
#pragma once

#include "config/connector_config.h"
#include "kafka/admin.h"
#include "mirror/replication_policy.h"
#include "mirror/topic_filter.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::mirror {

// The target bindings for the source's `bindings`, in order, duplicates removed.
// `should_replicate` is the flow's shouldReplicateTopic.
std::vector<kafka::AclBindingInfo>
acls_to_sync(const std::vector<kafka::AclBindingInfo>& bindings,
             const std::function<bool(std::string_view)>& should_replicate,
             const ReplicationPolicy& policy, std::string_view source_alias);

class AclSync {
public:
    AclSync(const config::MirrorSourceSettings& settings, const ReplicationPolicy& policy,
            const TopicFilter& filter, const kafka::Admin& source, const kafka::Admin& target)
        : settings_(settings), policy_(policy), filter_(filter), source_(source), target_(target) {}

    // One sync. Never fatal: problems are logged (one line per run, naming flow and cluster);
    // a source without an authorizer is reported once at INFO. Returns the number of bindings
    // created (or confirmed) on the target, or -1 when the run could not complete.
    int run();

private:
    const config::MirrorSourceSettings& settings_;
    const ReplicationPolicy& policy_;
    const TopicFilter& filter_;
    const kafka::Admin& source_;
    const kafka::Admin& target_;
    bool reported_no_authorizer_ = false;
    bool reported_empty_ = false;
};

} // namespace kmirror::mirror
