#include "mirror/topic_filter.h"

#include <gtest/gtest.h>
#include <vector>

namespace kmirror::mirror {
namespace {

Properties props(std::initializer_list<std::pair<std::string, std::string>> kv) {
    Properties p;
    for (const auto& [k, v] : kv) {
        p.set(k, v);
    }
    return p;
}

struct FilterCase {
    Properties cfg;
    std::string name;
    bool expected;
};

TopicFilter must_topic_filter(const Properties& cfg) {
    auto r = TopicFilter::create(cfg);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : TopicFilter::create(props({{"topics", ""}})).value();
}

// ---- TopicFilter ----

TEST(TopicFilterTest, IncludeExcludeSemantics) {
    const std::vector<FilterCase> cases = {
        // Defaults: topics=.*, topics.exclude=.*[\-\.]internal, .*\.replica, __.*
        {props({}), "orders", true},
        {props({}), "mm2-offset-syncs.B.internal", false},
        {props({}), "connect-configs-internal", false},
        {props({}), "orders.replica", false},
        {props({}), "__consumer_offsets", false},
        {props({}), "internal", true},
        {props({}), "orders_internal", true},
        {props({}), "heartbeats", true},
        // The seed's pattern.
        {props({{"topics", R"(^ExampleTopic[\w]*)"}}), "ExampleTopic", true},
        {props({{"topics", R"(^ExampleTopic[\w]*)"}}), "ExampleTopic42", true},
        {props({{"topics", R"(^ExampleTopic[\w]*)"}}), "OtherTopic", false},
        {props({{"topics", R"(^ExampleTopic[\w]*)"}}), "ExampleTopic.v2", false},
        // Lists: items trimmed, joined with |, each matched against the whole name.
        {props({{"topics", "topic1, topic2 ,topic3"}}), "topic2", true},
        {props({{"topics", "topic1, topic2 ,topic3"}}), "topic3", true},
        {props({{"topics", "topic1, topic2 ,topic3"}}), "topic4", false},
        {props({{"topics", "topic1, topic2 ,topic3"}}), "topic1x", false},
        {props({{"topics", "a.b"}}), "aXb", true}, // plain names are regexes
        {props({{"topics", " orders "}}), "orders", true},
        // Empty include list matches nothing; empty exclude list excludes nothing.
        {props({{"topics", ""}}), "orders", false},
        {props({{"topics", "   "}}), "orders", false},
        {props({{"topics.exclude", ""}}), "__consumer_offsets", true},
        {props({{"topics.exclude", ""}}), "x.internal", true},
        // Exclusion wins.
        {props({{"topics", "secret.*, orders"}, {"topics.exclude", "secret.*"}}), "secret1", false},
        {props({{"topics", "secret.*, orders"}, {"topics.exclude", "secret.*"}}), "orders", true},
        // Java keeps empty items: "a,,b" is a||b, which also matches the empty name.
        {props({{"topics", "a,,b"}}), "", true},
        {props({{"topics", "a,,b"}}), "b", true},
    };
    for (const auto& c : cases) {
        const TopicFilter f = must_topic_filter(c.cfg);
        EXPECT_EQ(f.should_replicate_topic(c.name), c.expected)
            << "topics=\"" << c.cfg.get("topics", "<default>") << "\" exclude=\""
            << c.cfg.get("topics.exclude", "<default>") << "\" name=" << c.name;
    }
}

struct ErrorCase {
    Properties cfg;
    std::string prefix;
};

TEST(TopicFilterTest, InvalidRegexNamesTheKey) {
    const std::vector<ErrorCase> cases = {
        {props({{"topics", "orders, [abc"}}), "topics: invalid regular expression"},
        {props({{"topics.exclude", "(oops"}}), "topics.exclude: invalid regular expression"},
    };
    for (const auto& c : cases) {
        auto r = TopicFilter::create(c.cfg);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().message.rfind(c.prefix, 0), 0U) << r.error().message;
    }
}

TEST(TopicFilterTest, PatternListExposesJoinedRegex) {
    auto list = PatternList::from_config(props({{"k", " a , b,c "}}), "k", "");
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->pattern(), "a|b|c");
    auto defaults = PatternList::from_config(props({}), "topics.exclude", kTopicsExcludeDefault);
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(defaults->pattern(), R"(.*[\-\.]internal|.*\.replica|__.*)");
    auto empty = PatternList::from_config(props({{"k", ""}}), "k", ".*");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->pattern(), "");
    EXPECT_FALSE(empty->matches(""));
}

// ---- GroupFilter ----

TEST(GroupFilterTest, IncludeExcludeSemantics) {
    const std::vector<FilterCase> cases = {
        {props({}), "my-group", true},
        {props({}), "console-consumer-12345", false},
        {props({}), "connect-mm2-msc", false},
        {props({}), "__internal", false},
        {props({}), "mm2-msc", true},
        {props({{"groups", "g1, g2"}}), "g2", true},
        {props({{"groups", "g1, g2"}}), "g3", false},
        {props({{"groups", ""}}), "g1", false},
        {props({{"groups.exclude", ""}}), "console-consumer-1", true},
        {props({{"groups", "app-.*"}, {"groups.exclude", "app-test.*"}}), "app-prod", true},
        {props({{"groups", "app-.*"}, {"groups.exclude", "app-test.*"}}), "app-test1", false},
    };
    for (const auto& c : cases) {
        auto f = GroupFilter::create(c.cfg);
        ASSERT_TRUE(f.ok()) << f.error().message;
        EXPECT_EQ(f->should_replicate_group(c.name), c.expected) << c.name;
    }
    auto bad = GroupFilter::create(props({{"groups.exclude", "*x"}}));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.rfind("groups.exclude: invalid regular expression", 0), 0U)
        << bad.error().message;
    auto bad_include = GroupFilter::create(props({{"groups", "g["}}));
    ASSERT_FALSE(bad_include.ok());
    EXPECT_EQ(bad_include.error().message.rfind("groups: ", 0), 0U);
}

// ---- ConfigPropertyFilter ----

TEST(ConfigPropertyFilterTest, ExcludedProperties) {
    const std::vector<FilterCase> cases = {
        {props({}), "follower.replication.throttled.replicas", false},
        {props({}), "leader.replication.throttled.replicas", false},
        {props({}), "message.timestamp.difference.max.ms", false},
        {props({}), "message.timestamp.type", false},
        {props({}), "unclean.leader.election.enable", false},
        {props({}), "min.insync.replicas", false},
        {props({}), "minXinsync.replicas", true}, // the dots are escaped
        {props({}), "retention.ms", true},
        {props({}), "cleanup.policy", true},
        {props({{"config.properties.exclude", ""}}), "min.insync.replicas", true},
        {props({{"config.properties.exclude", R"(retention\..*)"}}), "retention.ms", false},
        {props({{"config.properties.exclude", R"(retention\..*)"}}), "min.insync.replicas", true},
    };
    for (const auto& c : cases) {
        auto f = ConfigPropertyFilter::create(c.cfg);
        ASSERT_TRUE(f.ok()) << f.error().message;
        EXPECT_EQ(f->should_replicate_config_property(c.name), c.expected) << c.name;
    }
    auto bad = ConfigPropertyFilter::create(props({{"config.properties.exclude", "a)"}}));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.rfind("config.properties.exclude: invalid regular expression", 0),
              0U);
}

TEST(ConfigPropertyFilterTest, UseDefaultsFrom) {
    struct Case {
        Properties cfg;
        bool from_source;
    };
    const std::vector<Case> cases = {
        {props({}), false},
        {props({{"use.defaults.from", "target"}}), false},
        {props({{"use.defaults.from", "source"}}), true},
        {props({{"use.defaults.from", " source "}}), true},
        {props({{"use.defaults.from", "Source"}}), false}, // compared exactly, like Java
        {props({{"use.defaults.from", "anything"}}), false},
    };
    for (const auto& c : cases) {
        auto f = ConfigPropertyFilter::create(c.cfg);
        ASSERT_TRUE(f.ok());
        EXPECT_EQ(f->should_replicate_source_default("retention.ms"), c.from_source)
            << c.cfg.get("use.defaults.from", "<absent>");
    }
}

// ---- should_replicate_topic / is_cycle (spec §3.4) ----

struct ReplicateCase {
    std::string topic;
    bool replicated;
    std::string why;
};

void expect_replication(const TopicFilter& filter, const ReplicationPolicy& policy,
                        const std::string& target, bool heartbeats_enabled,
                        const std::vector<ReplicateCase>& cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(should_replicate_topic(filter, policy, target, c.topic, heartbeats_enabled),
                  c.replicated)
            << c.topic << " (" << c.why << ")";
    }
}

TEST(ShouldReplicateTopicTest, FlowAToBWithDefaultPolicy) {
    const DefaultReplicationPolicy policy;
    const TopicFilter filter = must_topic_filter(props({}));
    expect_replication(filter, policy, "B", true,
                       {
                           {"B.t", false, "came from B: cycle"},
                           {"C.B.t", false, "came from B via C: cycle"},
                           {"C.t", true, "replicated as A.C.t"},
                           {"heartbeats", true, "replicated as A.heartbeats"},
                           {"B.heartbeats", false, "cycle"},
                           {"C.heartbeats", true, "heartbeats from elsewhere"},
                           {"orders", true, "ordinary topic"},
                           {"__consumer_offsets", false, "internal"},
                           {".hidden", false, "internal"},
                           {"mm2-offset-syncs.B.internal", false, "MM2 internal"},
                           {"A.checkpoints.internal", false, "MM2 internal"},
                           {"orders.replica", false, "topics.exclude"},
                       });
    EXPECT_EQ(policy.format_remote_topic("A", "C.t"), "A.C.t");
    EXPECT_EQ(policy.format_remote_topic("A", "heartbeats"), "A.heartbeats");
}

TEST(ShouldReplicateTopicTest, HeartbeatsBypassTheFilterUnlessDisabled) {
    const DefaultReplicationPolicy policy;
    const TopicFilter filter = must_topic_filter(props({{"topics", "orders"}}));
    expect_replication(filter, policy, "B", true,
                       {
                           {"orders", true, "selected"},
                           {"other", false, "not selected"},
                           {"heartbeats", true, "heartbeats.replication.enabled"},
                           {"C.heartbeats", true, "heartbeats.replication.enabled"},
                           {"B.heartbeats", false, "still a cycle"},
                           {"myheartbeats", false, "not a heartbeats topic"},
                       });
    expect_replication(filter, policy, "B", false,
                       {
                           {"orders", true, "selected"},
                           {"heartbeats", false, "heartbeats.replication.enabled=false"},
                       });
    // An internal heartbeats-looking name stays internal.
    const TopicFilter everything = must_topic_filter(props({{"topics.exclude", ""}}));
    EXPECT_FALSE(should_replicate_topic(everything, policy, "B", "__heartbeats", true));
}

TEST(ShouldReplicateTopicTest, CustomSeparator) {
    const DefaultReplicationPolicy policy(SeparatorOptions{.separator = "_"});
    const TopicFilter filter = must_topic_filter(props({}));
    expect_replication(filter, policy, "B", true,
                       {
                           {"B_t", false, "cycle"},
                           {"B.t", true, "'.' is not the separator"},
                           {"C_B_t", false, "cycle"},
                       });
}

TEST(ShouldReplicateTopicTest, IdentityCannotDetectCycles) {
    const IdentityReplicationPolicy policy(SeparatorOptions{}, "A");
    const TopicFilter filter = must_topic_filter(props({}));
    expect_replication(filter, policy, "B", true,
                       {
                           {"orders", true, "kept name"},
                           {"B.orders", true, "Identity cannot tell where it came from"},
                           {"heartbeats", true, "named A.heartbeats"},
                           {"B.heartbeats", false, "heartbeats use Default naming: cycle"},
                       });
    EXPECT_FALSE(is_cycle(policy, "B", "orders"));
    // A source alias equal to the target would be a misconfiguration, but it is a cycle.
    EXPECT_TRUE(is_cycle(policy, "A", "orders"));
}

TEST(ShouldReplicateTopicTest, IsCycleWalksEveryHop) {
    const DefaultReplicationPolicy policy;
    struct Case {
        std::string target;
        std::string topic;
        bool cycle;
    };
    const std::vector<Case> cases = {
        {"B", "t", false},      {"B", "B.t", true},    {"B", "C.B.t", true},
        {"B", "C.D.B.t", true}, {"B", "C.D.t", false}, {"B", "C.t.B", false},
        {"B", ".B.t", true},    {"", ".t", true},      {"B", "A.", false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(is_cycle(policy, c.target, c.topic), c.cycle) << c.target << " " << c.topic;
    }
}

// ---- checkpoint_topic_name (renameTopicPartition) ----

TEST(ShouldReplicateCheckpointTopicNameTest, RenameRule) {
    const DefaultReplicationPolicy default_policy;
    const IdentityReplicationPolicy identity(SeparatorOptions{}, "A");
    auto prefix = RenameReplicationPolicy::with_affixes(SeparatorOptions{}, "A", "dr-", "");
    struct Case {
        const ReplicationPolicy* policy;
        std::string topic;
        std::string downstream;
    };
    const std::vector<Case> cases = {
        // Flow A->B: group offsets read on A, checkpoints written to B.
        {&default_policy, "orders", "A.orders"},
        {&default_policy, "B.orders", "orders"}, // came from B: failback to the original
        {&default_policy, "B.C.orders", "orders"},
        {&default_policy, "C.orders", "A.C.orders"},
        {&identity, "orders", "orders"},
        {&identity, "B.orders", "B.orders"},
        {prefix.get(), "orders", "dr-orders"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(checkpoint_topic_name(*c.policy, "A", "B", c.topic), c.downstream) << c.topic;
    }
}

} // namespace
} // namespace kmirror::mirror
