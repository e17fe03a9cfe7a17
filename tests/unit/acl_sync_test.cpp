// MM2's topic ACL filter and transform (spec/mm2.md §6.4), table-driven.
#include "mirror/acl_sync.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace kmirror::mirror {
namespace {

using kafka::AclBindingInfo;

AclBindingInfo acl(std::string name, rd_kafka_AclOperation_t op,
                   rd_kafka_AclPermissionType_t perm = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
                   rd_kafka_ResourceType_t type = RD_KAFKA_RESOURCE_TOPIC,
                   rd_kafka_ResourcePatternType_t pattern = RD_KAFKA_RESOURCE_PATTERN_LITERAL,
                   std::string principal = "User:bob", std::string host = "*") {
    return {type, std::move(name), pattern, std::move(principal), std::move(host), op, perm};
}

struct Case {
    std::string label;
    std::vector<AclBindingInfo> source;
    std::vector<AclBindingInfo> expected;
    std::string policy_class = ""; // "" = DefaultReplicationPolicy
};

class AclSyncTransform : public testing::TestWithParam<Case> {};

TEST_P(AclSyncTransform, MatchesMm2) {
    const auto& c = GetParam();
    Properties cfg;
    if (!c.policy_class.empty()) {
        cfg.set("replication.policy.class", c.policy_class);
    }
    auto policy = make_replication_policy(cfg);
    ASSERT_TRUE(policy) << policy.error().message;
    const auto replicate = [](std::string_view topic) { return !topic.starts_with("skip"); };
    EXPECT_EQ(acls_to_sync(c.source, replicate, **policy, "A"), c.expected);
}

constexpr auto kAllow = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW;
constexpr auto kDeny = RD_KAFKA_ACL_PERMISSION_TYPE_DENY;

INSTANTIATE_TEST_SUITE_P(
    Mm2Rules, AclSyncTransform,
    testing::Values(
        Case{"allow_read_is_copied_renamed",
             {acl("orders", RD_KAFKA_ACL_OPERATION_READ)},
             {acl("A.orders", RD_KAFKA_ACL_OPERATION_READ)}},
        Case{"allow_write_is_never_copied", {acl("orders", RD_KAFKA_ACL_OPERATION_WRITE)}, {}},
        Case{"allow_all_becomes_read",
             {acl("orders", RD_KAFKA_ACL_OPERATION_ALL)},
             {acl("A.orders", RD_KAFKA_ACL_OPERATION_READ)}},
        Case{"deny_write_and_deny_all_are_copied_as_is",
             {acl("orders", RD_KAFKA_ACL_OPERATION_WRITE, kDeny),
              acl("orders", RD_KAFKA_ACL_OPERATION_ALL, kDeny)},
             {acl("A.orders", RD_KAFKA_ACL_OPERATION_WRITE, kDeny),
              acl("A.orders", RD_KAFKA_ACL_OPERATION_ALL, kDeny)}},
        Case{
            "other_operations_principal_and_host_kept",
            {acl("orders", RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS, kAllow, RD_KAFKA_RESOURCE_TOPIC,
                 RD_KAFKA_RESOURCE_PATTERN_LITERAL, "User:carol", "10.0.0.1")},
            {acl("A.orders", RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS, kAllow,
                 RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_PATTERN_LITERAL, "User:carol",
                 "10.0.0.1")}},
        Case{"prefixed_is_not_copied",
             {acl("ord", RD_KAFKA_ACL_OPERATION_READ, kAllow, RD_KAFKA_RESOURCE_TOPIC,
                  RD_KAFKA_RESOURCE_PATTERN_PREFIXED)},
             {}},
        Case{"group_and_cluster_acls_are_not_copied",
             {acl("g", RD_KAFKA_ACL_OPERATION_READ, kAllow, RD_KAFKA_RESOURCE_GROUP),
              acl("kafka-cluster", RD_KAFKA_ACL_OPERATION_ALTER, kAllow, RD_KAFKA_RESOURCE_BROKER)},
             {}},
        Case{"topics_not_replicated_are_skipped",
             {acl("skip-me", RD_KAFKA_ACL_OPERATION_READ),
              acl("orders", RD_KAFKA_ACL_OPERATION_READ)},
             {acl("A.orders", RD_KAFKA_ACL_OPERATION_READ)}},
        Case{"wildcard_name_becomes_a_literal_remote_name",
             {acl("*", RD_KAFKA_ACL_OPERATION_READ)},
             {acl("A.*", RD_KAFKA_ACL_OPERATION_READ)}},
        Case{
            "all_and_read_collapse_to_one_binding",
            {acl("orders", RD_KAFKA_ACL_OPERATION_ALL), acl("orders", RD_KAFKA_ACL_OPERATION_READ)},
            {acl("A.orders", RD_KAFKA_ACL_OPERATION_READ)}},
        Case{"identity_policy_keeps_the_name",
             {acl("orders", RD_KAFKA_ACL_OPERATION_ALL)},
             {acl("orders", RD_KAFKA_ACL_OPERATION_READ)},
             "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"}),
    [](const testing::TestParamInfo<Case>& p) { return p.param.label; });

} // namespace
} // namespace kmirror::mirror
