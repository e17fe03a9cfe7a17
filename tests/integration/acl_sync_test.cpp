// Topic ACL sync (spec/mm2.md §6.4) against the test bed's StandardAuthorizer: source ACLs made
// through the PLAINTEXT super-user listener, `kmirror run` copies them to the target with MM2's
// rules, and ACLs added later arrive with the next sync interval.
#include "kafka/admin.h"
#include "support/testbed.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;
using Binding = std::tuple<std::string, std::string, rd_kafka_AclOperation_t,
                           rd_kafka_AclPermissionType_t, rd_kafka_ResourcePatternType_t>;

// The target's topic ACLs for `principal`, as (topic, principal, operation, permission, pattern).
std::set<Binding> target_acls(const std::string& principal) {
    auto admin = kafka::Admin::create({"target", "acl-test", plaintext_settings(target_cluster())});
    if (!admin) {
        throw std::runtime_error(admin.error().message);
    }
    auto listing = admin->describe_topic_acls(10s);
    if (!listing || listing->code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(listing ? listing->message : listing.error().message);
    }
    std::set<Binding> out;
    for (const auto& b : listing->bindings) {
        if (b.principal == principal) {
            out.emplace(b.name, b.principal, b.operation, b.permission, b.pattern_type);
        }
    }
    return out;
}

TEST(AclSync, CopiesTopicAclsWithMm2RulesAndPicksUpNewOnes) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("acl");
    const std::string other = unique_name("acl-unreplicated");
    const std::string principal = "User:" + unique_name("acl-user");
    create_topic(src, topic, 1);
    create_topic(src, other, 1);
    const auto allow = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW;
    const auto deny = RD_KAFKA_ACL_PERMISSION_TYPE_DENY;
    const auto literal = RD_KAFKA_RESOURCE_PATTERN_LITERAL;
    create_acls(
        src, {
                 {.name = topic, .principal = principal, .operation = RD_KAFKA_ACL_OPERATION_READ},
                 {.name = topic,
                  .principal = principal,
                  .operation = RD_KAFKA_ACL_OPERATION_WRITE}, // never copied
                 {.name = topic,
                  .principal = principal,
                  .operation = RD_KAFKA_ACL_OPERATION_ALL}, // -> READ
                 {.name = topic,
                  .principal = principal,
                  .operation = RD_KAFKA_ACL_OPERATION_ALTER,
                  .permission = deny}, // DENY copied as is
                 {.name = topic,
                  .principal = principal,
                  .operation = RD_KAFKA_ACL_OPERATION_READ,
                  .pattern = RD_KAFKA_RESOURCE_PATTERN_PREFIXED}, // not copied
                 {.name = other,
                  .principal = principal,
                  .operation = RD_KAFKA_ACL_OPERATION_READ}, // topic not replicated
                 {.resource = RD_KAFKA_RESOURCE_GROUP,
                  .name = topic,
                  .principal = principal}, // group ACLs are never copied
             });

    const std::string path = std::string(std::getenv("KMIRROR_TEST_STATE_DIR") != nullptr
                                             ? std::getenv("KMIRROR_TEST_STATE_DIR")
                                             : "/tmp") +
                             "/" + unique_name("mm2-acl") + ".properties";
    {
        std::ofstream out(path);
        out << "clusters = source, target\n"
            << "source.bootstrap.servers = " << source_cluster().plaintext << "\n"
            << "target.bootstrap.servers = " << target_cluster().plaintext << "\n"
            << "source->target.enabled = true\n"
            << "source->target.topics = " << topic << "\n"
            << "replication.factor = 1\n"
            << "offset-syncs.topic.replication.factor = 1\n"
            << "emit.checkpoints.enabled = false\n"
            << "emit.heartbeats.enabled = false\n"
            << "sync.topic.acls.interval.seconds = 1\n"
            << "admin.timeout.ms = 10000\n"
            << "kmirror.progress.group.id = " << unique_name("kmirror-progress") << "\n";
    }
    ChildProcess proc(KMIRROR_BINARY, {"run", path});

    const std::string remote = "source." + topic;
    std::set<Binding> expected = {
        {remote, principal, RD_KAFKA_ACL_OPERATION_READ, allow, literal},
        {remote, principal, RD_KAFKA_ACL_OPERATION_ALTER, deny, literal},
    };
    std::set<Binding> got;
    ASSERT_TRUE(eventually(
        [&] {
            got = target_acls(principal);
            return got == expected || !proc.running();
        },
        60s, 250ms))
        << "target ACLs never matched; last seen " << got.size() << " binding(s)\n"
        << proc.log();
    ASSERT_TRUE(proc.running()) << proc.log();
    ASSERT_EQ(got, expected) << proc.log();

    // A later source ACL arrives with a following sync (interval 1 s).
    create_acls(
        src,
        {{.name = topic, .principal = principal, .operation = RD_KAFKA_ACL_OPERATION_DESCRIBE}});
    expected.emplace(remote, principal, RD_KAFKA_ACL_OPERATION_DESCRIBE, allow, literal);
    ASSERT_TRUE(eventually(
        [&] {
            got = target_acls(principal);
            return got == expected;
        },
        30s, 250ms))
        << "the new ACL was not synced; last seen " << got.size() << " binding(s)\n"
        << proc.log();
    EXPECT_TRUE(proc.running()) << proc.log();
}

} // namespace
} // namespace kmirror::testing
