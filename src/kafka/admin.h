// Synchronous admin operations over one librdkafka handle, each bounded by a timeout.
// Thread: an Admin is used by one thread at a time (it owns a private result queue per call).
// Errors name the cluster and the topic concerned.
#pragma once

#include "kafka/client.h"
#include "kafka/handles.h"
#include "util/result.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kmirror::kafka {

struct TopicInfo {
    std::string name;
    int partitions = 0;
};

struct NewTopicSpec {
    std::string name;
    int partitions = 1;
    int replication_factor = -1; // -1: broker default
    std::map<std::string, std::string> configs;
};

struct ConfigEntryInfo {
    std::string name;
    std::optional<std::string> value;
    bool is_default = false;
    bool is_read_only = false;
    bool is_sensitive = false;
    rd_kafka_ConfigSource_t source = RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG;
};

// One consumer group as ListConsumerGroups reports it.
struct GroupListing {
    std::string group;
    bool is_simple = false;
    rd_kafka_consumer_group_state_t state = RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN;
};

// DescribeConsumerGroups' view of one group; `error` is empty when the group could be described.
struct GroupDescription {
    std::string group;
    rd_kafka_consumer_group_state_t state = RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN;
    size_t members = 0;
    std::string error;

    // Consumers are using the group: it is stable or rebalancing.
    bool active() const {
        return state == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE ||
               state == RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE ||
               state == RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE;
    }
};

// A committed offset of a consumer group.
struct CommittedOffset {
    int64_t offset = -1;
    std::string metadata;
};
using TopicPartitionKey = std::pair<std::string, int32_t>;
using GroupOffsets = std::map<TopicPartitionKey, CommittedOffset>;

// Outcome of one topic in a batched call.
struct TopicOutcome {
    std::string topic;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string message; // empty when ok
    bool ok() const { return code == RD_KAFKA_RESP_ERR_NO_ERROR; }
};

// One ACL binding (resource pattern + access-control entry), as DescribeAcls returns it and
// CreateAcls takes it.
struct AclBindingInfo {
    rd_kafka_ResourceType_t resource_type = RD_KAFKA_RESOURCE_TOPIC;
    std::string name;
    rd_kafka_ResourcePatternType_t pattern_type = RD_KAFKA_RESOURCE_PATTERN_LITERAL;
    std::string principal;
    std::string host = "*";
    rd_kafka_AclOperation_t operation = RD_KAFKA_ACL_OPERATION_ALL;
    rd_kafka_AclPermissionType_t permission = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW;

    friend bool operator==(const AclBindingInfo&, const AclBindingInfo&) = default;
};

// Outcome of a DescribeAcls: `code` is set (and bindings empty) when the broker refused, e.g.
// SECURITY_DISABLED (no authorizer) or CLUSTER_AUTHORIZATION_FAILED; `message` then says why.
struct AclListing {
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string message;
    std::vector<AclBindingInfo> bindings;
};

class Admin {
public:
    // Creates its own producer-type handle from the given settings.
    static Result<Admin> create(const ClientSpec& spec);

    const std::string& cluster() const { return cluster_; }
    rd_kafka_t* handle() const { return handle_.get(); }

    // All topics (internal ones included) with their partition counts.
    Result<std::map<std::string, TopicInfo>> list_topics(std::chrono::milliseconds timeout) const;
    Result<std::vector<TopicOutcome>> create_topics(const std::vector<NewTopicSpec>& topics,
                                                    std::chrono::milliseconds timeout) const;
    Result<std::vector<TopicOutcome>>
    create_partitions(const std::map<std::string, int>& new_totals,
                      std::chrono::milliseconds timeout) const;
    Result<std::map<std::string, std::vector<ConfigEntryInfo>>>
    describe_topic_configs(const std::vector<std::string>& topics,
                           std::chrono::milliseconds timeout) const;
    // Whole-config AlterConfigs (librdkafka 2.0.2 has no IncrementalAlterConfigs): the given
    // set replaces the topic's dynamic overrides. See docs/adr/0002.
    Result<std::vector<TopicOutcome>>
    alter_topic_configs(const std::map<std::string, std::map<std::string, std::string>>& configs,
                        std::chrono::milliseconds timeout) const;
    // Low and high watermark of one partition.
    Result<std::pair<int64_t, int64_t>> watermarks(const std::string& topic, int32_t partition,
                                                   std::chrono::milliseconds timeout) const;

    // Consumer groups (valid listings; per-broker errors are ignored like Java's valid()).
    Result<std::vector<GroupListing>> list_consumer_groups(std::chrono::milliseconds timeout) const;
    Result<std::map<std::string, GroupDescription>>
    describe_consumer_groups(const std::vector<std::string>& groups,
                             std::chrono::milliseconds timeout) const;
    // The committed offsets of `group` (partitions without a commit are left out): of every
    // partition, or only of `partitions` when given. Asking for given partitions is what to do
    // for groups that may not exist: librdkafka 2.0.2 can crash listing "all partitions" of an
    // unknown group, so given partitions are read with OffsetFetch through a consumer of the group
    // that never joins it (rd_kafka_committed).
    Result<GroupOffsets>
    list_consumer_group_offsets(const std::string& group, std::chrono::milliseconds timeout,
                                const std::vector<TopicPartitionKey>* partitions = nullptr) const;
    // Commits `offsets` for `group` (without leader epoch). The broker refuses it while the
    // group has active members (UNKNOWN_MEMBER_ID / the group is not empty): the error says so.
    Status alter_consumer_group_offsets(const std::string& group, const GroupOffsets& offsets,
                                        std::chrono::milliseconds timeout) const;

    // DescribeAcls for every TOPIC binding (any name, pattern type ANY). Result errors are
    // transport-level (no answer); broker refusals come back in AclListing::code.
    Result<AclListing> describe_topic_acls(std::chrono::milliseconds timeout) const;
    // CreateAcls; one message per binding the broker refused (empty: all created; creating an
    // existing binding is not an error).
    Result<std::vector<std::string>> create_acls(const std::vector<AclBindingInfo>& bindings,
                                                 std::chrono::milliseconds timeout) const;

    // The last connection error librdkafka reported for this client (e.g. "SASL authentication
    // error: ... invalid credentials", "SSL handshake failed: ... certificate verify failed"),
    // "" if none; "all brokers down" summaries are skipped. Never contains secrets.
    std::string last_connection_error() const;

    struct ErrorTrace; // filled by librdkafka's error callback

private:
    Admin(std::string cluster, HandlePtr handle, ClientSpec spec,
          std::shared_ptr<ErrorTrace> errors)
        : cluster_(std::move(cluster)), handle_(std::move(handle)), spec_(std::move(spec)),
          errors_(std::move(errors)) {}
    // " (last error: ...)" when one is known, for messages about unreachable clusters.
    std::string cause() const;
    std::string cluster_;
    HandlePtr handle_;
    ClientSpec spec_; // for the short-lived consumer of list_consumer_group_offsets
    std::shared_ptr<ErrorTrace> errors_;
};

// Milliseconds as int for librdkafka calls.
inline int to_ms(std::chrono::milliseconds d) {
    return static_cast<int>(d.count());
}

} // namespace kmirror::kafka
