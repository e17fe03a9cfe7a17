#include "mirror/acl_sync.h"

#include "util/log.h"

#include <algorithm>

namespace kmirror::mirror {

std::vector<kafka::AclBindingInfo>
acls_to_sync(const std::vector<kafka::AclBindingInfo>& bindings,
             const std::function<bool(std::string_view)>& should_replicate,
             const ReplicationPolicy& policy, std::string_view source_alias) {
    std::vector<kafka::AclBindingInfo> out;
    for (const auto& b : bindings) {
        if (b.resource_type != RD_KAFKA_RESOURCE_TOPIC ||
            b.pattern_type != RD_KAFKA_RESOURCE_PATTERN_LITERAL) {
            continue;
        }
        const bool allow = b.permission == RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW;
        if (allow && b.operation == RD_KAFKA_ACL_OPERATION_WRITE) {
            continue;
        }
        if (!should_replicate(b.name)) {
            continue;
        }
        kafka::AclBindingInfo t = b;
        t.name = policy.format_remote_topic(source_alias, b.name);
        if (allow && b.operation == RD_KAFKA_ACL_OPERATION_ALL) {
            t.operation = RD_KAFKA_ACL_OPERATION_READ;
        }
        if (std::find(out.begin(), out.end(), t) == out.end()) {
            out.push_back(std::move(t));
        }
    }
    return out;
}

int AclSync::run() {
    const std::string flow = "flow " + settings_.source_alias + "->" + settings_.target_alias;
    auto listing = source_.describe_topic_acls(settings_.admin_timeout);
    if (!listing) {
        log::warn(flow + ": topic ACL sync skipped: " + listing.error().message);
        return -1;
    }
    if (listing->code == RD_KAFKA_RESP_ERR_SECURITY_DISABLED) {
        if (!reported_no_authorizer_) {
            log::info(flow + ": cluster '" + settings_.source_alias +
                      "' has no authorizer; topic ACLs are not synced");
            reported_no_authorizer_ = true;
        }
        return -1;
    }
    if (listing->code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::warn(flow + ": topic ACL sync skipped: " + listing->message +
                  " (describing ACLs needs DESCRIBE on the source cluster resource); replication "
                  "continues");
        return -1;
    }
    if (listing->bindings.empty() && !reported_empty_) {
        // librdkafka 2.0.2 drops DescribeAcls' response-level error: a principal without
        // DESCRIBE on the cluster gets an empty list instead of CLUSTER_AUTHORIZATION_FAILED.
        log::info(flow + ": cluster '" + settings_.source_alias +
                  "' lists no topic ACLs; if it has some, the principal lacks DESCRIBE on the "
                  "cluster resource (librdkafka 2.0.2 does not report that refusal)");
        reported_empty_ = true;
    }
    const auto wanted = acls_to_sync(
        listing->bindings,
        [this](std::string_view topic) {
            return should_replicate_topic(filter_, policy_, settings_.target_alias, topic,
                                          settings_.heartbeats_replication_enabled);
        },
        policy_, settings_.source_alias);
    auto failures = target_.create_acls(wanted, settings_.admin_timeout);
    if (!failures) {
        log::warn(flow + ": topic ACL sync: " + failures.error().message +
                  " (creating ACLs needs ALTER on the target cluster resource); replication "
                  "continues");
        return -1;
    }
    if (!failures->empty()) {
        log::warn(flow + ": topic ACL sync: " + std::to_string(failures->size()) + " of " +
                  std::to_string(wanted.size()) +
                  " ACL(s) not created; first: " + failures->front() + "; replication continues");
        return -1;
    }
    log::debug(flow + ": topic ACL sync: " + std::to_string(wanted.size()) +
               " ACL(s) present on cluster '" + settings_.target_alias + "'");
    return static_cast<int>(wanted.size());
}

} // namespace kmirror::mirror
