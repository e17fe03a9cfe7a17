#include "mirror/replication_policy.h"

#include <gtest/gtest.h>
#include <vector>

namespace kmirror::mirror {
namespace {

using Opt = std::optional<std::string>;

struct NameCase {
    std::string topic;
    Opt expected;
};

struct BoolCase {
    std::string topic;
    bool expected;
};

void expect_topic_source(const ReplicationPolicy& p, const std::vector<NameCase>& cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(p.topic_source(c.topic), c.expected) << "topic_source(\"" << c.topic << "\")";
    }
}

void expect_upstream(const ReplicationPolicy& p, const std::vector<NameCase>& cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(p.upstream_topic(c.topic), c.expected) << "upstream_topic(\"" << c.topic << "\")";
    }
}

void expect_original(const ReplicationPolicy& p, const std::vector<NameCase>& cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(p.original_topic(c.topic), c.expected.value())
            << "original_topic(\"" << c.topic << "\")";
    }
}

Properties props(std::initializer_list<std::pair<std::string, std::string>> kv) {
    Properties p;
    for (const auto& [k, v] : kv) {
        p.set(k, v);
    }
    return p;
}

std::unique_ptr<ReplicationPolicy> must_make(const Properties& cfg) {
    auto r = make_replication_policy(cfg);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : std::make_unique<DefaultReplicationPolicy>();
}

// ---- DefaultReplicationPolicy (spec §3.2) ----

TEST(ReplicationPolicyDefaultTest, TopicSourceFollowsJavaSplit) {
    const DefaultReplicationPolicy p;
    expect_topic_source(p, {
                               {"A.t", "A"},
                               {"t", std::nullopt},
                               {"A.", std::nullopt}, // trailing empty part dropped
                               {".t", ""},           // leading empty part kept
                               {"A..t", "A"},
                               {"", std::nullopt},
                               {"A.B.t", "A"},
                               {".", std::nullopt},
                               {"..", std::nullopt},
                               {"..t", ""},
                               {"A.t.", "A"},
                           });
}

TEST(ReplicationPolicyDefaultTest, UpstreamAndOriginalTopic) {
    const DefaultReplicationPolicy p;
    expect_upstream(p, {
                           {"A.B.t", "B.t"},
                           {"A.t", "t"},
                           {"t", std::nullopt},
                           {".t", "t"},
                           {"A..t", ".t"},
                           {"A.", std::nullopt},
                       });
    expect_original(p, {
                           {"A.B.t", "t"},
                           {"A.t", "t"},
                           {"t", "t"},
                           {"A..t", "t"},
                           {"A.", "A."},
                           {"C.B.A.heartbeats", "heartbeats"},
                       });
    EXPECT_EQ(p.format_remote_topic("A", "t"), "A.t");
    EXPECT_EQ(p.format_remote_topic("A", "B.t"), "A.B.t");
}

TEST(ReplicationPolicyDefaultTest, CustomSeparators) {
    const DefaultReplicationPolicy underscore(SeparatorOptions{.separator = "_"});
    EXPECT_EQ(underscore.format_remote_topic("A", "t"), "A_t");
    expect_topic_source(underscore, {{"A_t", "A"}, {"A.t", std::nullopt}, {"A_B_t", "A"}});
    expect_upstream(underscore, {{"A_B_t", "B_t"}});

    const DefaultReplicationPolicy dashes(SeparatorOptions{.separator = "--"});
    expect_topic_source(dashes, {
                                    {"A--t", "A"},
                                    {"A----t", "A"},
                                    {"A-t", std::nullopt},
                                    {"A---t", "A"}, // non-overlapping, left to right
                                    {"A--", std::nullopt},
                                    {"A----", std::nullopt},
                                });
    expect_upstream(dashes, {{"A---t", "-t"}, {"A----t", "--t"}});

    // An empty separator splits between characters, as Java's Pattern.split does.
    const DefaultReplicationPolicy none(SeparatorOptions{.separator = ""});
    expect_topic_source(none, {{"At", "A"}, {"A", std::nullopt}, {"", std::nullopt}});
    expect_upstream(none, {{"ABt", "Bt"}});
    expect_original(none, {{"ABt", "t"}});
}

TEST(ReplicationPolicyDefaultTest, InternalTopicNames) {
    struct Case {
        SeparatorOptions options;
        std::string offset_syncs;
        std::string checkpoints;
    };
    const std::vector<Case> cases = {
        {{}, "mm2-offset-syncs.B.internal", "A.checkpoints.internal"},
        {{"_", true}, "mm2-offset-syncs_B_internal", "A_checkpoints_internal"},
        {{"_", false}, "mm2-offset-syncs.B.internal", "A.checkpoints.internal"},
        {{"--", true}, "mm2-offset-syncs--B--internal", "A--checkpoints--internal"},
    };
    for (const auto& c : cases) {
        const DefaultReplicationPolicy p(c.options);
        EXPECT_EQ(p.offset_syncs_topic("B"), c.offset_syncs);
        EXPECT_EQ(p.checkpoints_topic("A"), c.checkpoints);
        EXPECT_TRUE(p.is_checkpoints_topic(c.checkpoints)) << c.checkpoints;
        EXPECT_TRUE(p.is_mm2_internal_topic(c.offset_syncs)) << c.offset_syncs;
        EXPECT_TRUE(p.is_internal_topic(c.offset_syncs)) << c.offset_syncs;
        EXPECT_EQ(p.heartbeats_topic(), "heartbeats"); // never affected by the separator
    }
    const DefaultReplicationPolicy underscore(SeparatorOptions{.separator = "_"});
    EXPECT_FALSE(underscore.is_checkpoints_topic("A.checkpoints.internal"));
    EXPECT_TRUE(underscore.is_mm2_internal_topic("x_internal"));
    EXPECT_TRUE(underscore.is_internal_topic("x.internal")); // Connect's names still count
}

TEST(ReplicationPolicyDefaultTest, TopicClassification) {
    const DefaultReplicationPolicy p;
    const std::vector<BoolCase> heartbeats = {
        {"heartbeats", true},    {"A.heartbeats", true},  {"B.A.heartbeats", true},
        {"myheartbeats", false}, {"heartbeats.A", false}, {"A.myheartbeats", false},
        {"heartbeats2", false},
    };
    for (const auto& c : heartbeats) {
        EXPECT_EQ(p.is_heartbeats_topic(c.topic), c.expected) << c.topic;
    }
    const std::vector<BoolCase> checkpoints = {
        {"A.checkpoints.internal", true},
        {"checkpoints.internal", false},
        {"A.checkpoints-internal", false},
    };
    for (const auto& c : checkpoints) {
        EXPECT_EQ(p.is_checkpoints_topic(c.topic), c.expected) << c.topic;
    }
    const std::vector<BoolCase> internal = {
        {"__consumer_offsets", true},
        {"__transaction_state", true},
        {".hidden", true},
        {"connect-offsets-internal", true},
        {"x.internal", true},
        {"mm2-offset-syncs.B.internal", true},
        {"A.checkpoints.internal", true},
        {"mm2-configs.A.internal", true},
        {"orders", false},
        {"internal", false},
        {"_single", false},
        {"heartbeats", false},
        {"x_internal", false},
    };
    for (const auto& c : internal) {
        EXPECT_EQ(p.is_internal_topic(c.topic), c.expected) << c.topic;
    }
}

// ---- IdentityReplicationPolicy (spec §3.3) ----

TEST(ReplicationPolicyIdentityTest, KeepsNamesExceptHeartbeats) {
    const IdentityReplicationPolicy p(SeparatorOptions{}, "A");
    struct FormatCase {
        std::string topic;
        std::string remote;
    };
    const std::vector<FormatCase> formats = {
        {"orders", "orders"},
        {"B.orders", "B.orders"},
        {"heartbeats", "A.heartbeats"},
        {"B.heartbeats", "A.B.heartbeats"},
        {"myheartbeats", "A.myheartbeats"}, // anything ending in "heartbeats" looks like one
    };
    for (const auto& c : formats) {
        EXPECT_EQ(p.format_remote_topic("A", c.topic), c.remote) << c.topic;
    }
    expect_topic_source(p, {
                               {"orders", "A"},
                               {"B.orders", "A"}, // the configured alias, whatever the name
                               {"heartbeats", std::nullopt},
                               {"A.heartbeats", "A"},
                               {"B.A.heartbeats", "B"},
                               {"myheartbeats", std::nullopt},
                           });
    expect_upstream(p, {
                           {"orders", "orders"},
                           {"B.orders", "B.orders"},
                           {"B.A.heartbeats", "A.heartbeats"},
                           {"heartbeats", std::nullopt},
                       });
    expect_original(p, {
                           {"orders", "orders"},
                           {"B.orders", "B.orders"},
                           {"B.A.heartbeats", "heartbeats"},
                       });
    EXPECT_TRUE(p.is_heartbeats_topic("A.heartbeats"));
    EXPECT_FALSE(p.is_heartbeats_topic("orders"));
    EXPECT_EQ(p.offset_syncs_topic("B"), "mm2-offset-syncs.B.internal");
    EXPECT_EQ(p.checkpoints_topic("A"), "A.checkpoints.internal");
}

TEST(ReplicationPolicyIdentityTest, WithoutSourceAliasTopicSourceIsUnknown) {
    const IdentityReplicationPolicy p(SeparatorOptions{}, std::nullopt);
    expect_topic_source(p, {{"orders", std::nullopt}, {"A.heartbeats", "A"}});
    expect_upstream(p, {{"orders", "orders"}});
}

TEST(ReplicationPolicyIdentityTest, HeartbeatsUseTheSeparator) {
    const IdentityReplicationPolicy p(SeparatorOptions{.separator = "_"}, "A");
    EXPECT_EQ(p.format_remote_topic("A", "heartbeats"), "A_heartbeats");
    EXPECT_EQ(p.format_remote_topic("A", "a_b"), "a_b");
    EXPECT_EQ(p.checkpoints_topic("A"), "A_checkpoints_internal");
}

// ---- RenameReplicationPolicy (kmirror) ----

TEST(ReplicationPolicyRenameTest, PrefixAndSuffixAreInverted) {
    auto p = RenameReplicationPolicy::with_affixes(SeparatorOptions{}, "A", "dr-", "-copy");
    struct FormatCase {
        std::string topic;
        std::string remote;
    };
    const std::vector<FormatCase> formats = {
        {"orders", "dr-orders-copy"},
        {"dr-orders-copy", "dr-dr-orders-copy-copy"},
        {"heartbeats", "A.heartbeats"},
        {"B.heartbeats", "A.B.heartbeats"},
    };
    for (const auto& c : formats) {
        EXPECT_EQ(p->format_remote_topic("A", c.topic), c.remote) << c.topic;
    }
    expect_topic_source(*p, {
                                {"dr-orders-copy", "A"},
                                {"orders", std::nullopt},
                                {"dr-orders", std::nullopt},
                                {"dr--copy", std::nullopt}, // nothing between the affixes
                                {"dr-copy", std::nullopt},  // affixes would overlap
                                {"A.heartbeats", "A"},
                            });
    expect_upstream(*p, {
                            {"dr-orders-copy", "orders"},
                            {"dr-dr-orders-copy-copy", "dr-orders-copy"},
                            {"orders", std::nullopt},
                            {"B.A.heartbeats", "A.heartbeats"},
                        });
    expect_original(*p, {
                            {"dr-dr-orders-copy-copy", "orders"},
                            {"orders", "orders"},
                            {"B.A.heartbeats", "heartbeats"},
                        });
    EXPECT_TRUE(p->is_heartbeats_topic("A.heartbeats"));
}

TEST(ReplicationPolicyRenameTest, PrefixOnlyAndSuffixOnly) {
    auto prefix = RenameReplicationPolicy::with_affixes(SeparatorOptions{}, "A", "dr.", "");
    EXPECT_EQ(prefix->format_remote_topic("A", "orders"), "dr.orders");
    EXPECT_EQ(prefix->upstream_topic("dr.orders"), "orders");
    EXPECT_EQ(prefix->topic_source("dr."), std::nullopt);

    auto suffix = RenameReplicationPolicy::with_affixes(SeparatorOptions{}, "A", "", ".dr");
    EXPECT_EQ(suffix->format_remote_topic("A", "orders"), "orders.dr");
    EXPECT_EQ(suffix->upstream_topic("orders.dr"), "orders");
    EXPECT_EQ(suffix->topic_source("orders"), std::nullopt);
}

TEST(ReplicationPolicyRenameTest, RegexRenameReversesLikeIdentity) {
    auto rename = JavaReplacement::compile(JavaRegex::compile("prod-(.*)").value(), "dr-$1");
    ASSERT_TRUE(rename.ok());
    auto p = RenameReplicationPolicy::with_regex(SeparatorOptions{}, "A", rename.value());
    struct FormatCase {
        std::string topic;
        std::string remote;
    };
    const std::vector<FormatCase> formats = {
        {"prod-orders", "dr-orders"},
        {"orders", "orders"}, // not matched: name kept
        {"prod-heartbeats", "A.prod-heartbeats"},
        {"heartbeats", "A.heartbeats"},
    };
    for (const auto& c : formats) {
        EXPECT_EQ(p->format_remote_topic("A", c.topic), c.remote) << c.topic;
    }
    expect_topic_source(*p, {{"dr-orders", "A"}, {"orders", "A"}, {"A.heartbeats", "A"}});
    expect_upstream(*p, {{"dr-orders", "dr-orders"}, {"A.heartbeats", "heartbeats"}});
    expect_original(*p, {{"dr-orders", "dr-orders"}});
}

// ---- make_replication_policy ----

TEST(ReplicationPolicyFactoryTest, ClassNames) {
    struct Case {
        std::string class_name; // "" = key absent
        std::string remote_of_orders;
    };
    const std::vector<Case> cases = {
        {"", "A.orders"},
        {"org.apache.kafka.connect.mirror.DefaultReplicationPolicy", "A.orders"},
        {"DefaultReplicationPolicy", "A.orders"},
        {" org.apache.kafka.connect.mirror.DefaultReplicationPolicy ", "A.orders"},
        {"org.apache.kafka.connect.mirror.IdentityReplicationPolicy", "orders"},
        {"IdentityReplicationPolicy", "orders"},
        {"com.amazonaws.kafka.samples.CustomMM2ReplicationPolicy", "orders"},
        {"io.kmirror.RenameReplicationPolicy", "dr-orders"},
        {"RenameReplicationPolicy", "dr-orders"},
    };
    for (const auto& c : cases) {
        Properties cfg =
            props({{"source.cluster.alias", "A"}, {"replication.policy.rename.prefix", "dr-"}});
        if (!c.class_name.empty()) {
            cfg.set("replication.policy.class", c.class_name);
        }
        auto p = must_make(cfg);
        EXPECT_EQ(p->format_remote_topic("A", "orders"), c.remote_of_orders) << c.class_name;
        EXPECT_EQ(p->format_remote_topic("A", "heartbeats"), "A.heartbeats") << c.class_name;
    }
}

TEST(ReplicationPolicyFactoryTest, SeedConnectorConfigUsesIdentityWithItsAlias) {
    auto p = must_make(props({
        {"replication.policy.class", "com.amazonaws.kafka.samples.CustomMM2ReplicationPolicy"},
        {"source.cluster.alias", "msksource"},
        {"target.cluster.alias", "mskdest"},
    }));
    EXPECT_EQ(p->format_remote_topic("msksource", "ExampleTopic1"), "ExampleTopic1");
    EXPECT_EQ(p->topic_source("ExampleTopic1"), "msksource");
    EXPECT_EQ(p->offset_syncs_topic("mskdest"), "mm2-offset-syncs.mskdest.internal");
}

TEST(ReplicationPolicyFactoryTest, SeparatorKeys) {
    struct Case {
        Properties cfg;
        std::string remote;
        std::string offset_syncs;
    };
    const std::vector<Case> cases = {
        {props({}), "A.t", "mm2-offset-syncs.B.internal"},
        {props({{"replication.policy.separator", "_"}}), "A_t", "mm2-offset-syncs_B_internal"},
        {props({{"replication.policy.separator", "_"},
                {"replication.policy.internal.topic.separator.enabled", "false"}}),
         "A_t", "mm2-offset-syncs.B.internal"},
        {props({{"replication.policy.separator", "_"},
                {"replication.policy.internal.topic.separator.enabled", "TRUE"}}),
         "A_t", "mm2-offset-syncs_B_internal"},
        {props({{"replication.policy.internal.topic.separator.enabled", "false"}}), "A.t",
         "mm2-offset-syncs.B.internal"},
        {props({{"replication.policy.separator", ""}}), "At", "mm2-offset-syncsBinternal"},
    };
    for (const auto& c : cases) {
        auto p = must_make(c.cfg);
        EXPECT_EQ(p->format_remote_topic("A", "t"), c.remote);
        EXPECT_EQ(p->offset_syncs_topic("B"), c.offset_syncs);
    }
}

TEST(ReplicationPolicyFactoryTest, ConfigErrorsNameTheKey) {
    struct Case {
        Properties cfg;
        std::vector<std::string> fragments;
    };
    const std::vector<Case> cases = {
        {props({{"replication.policy.class", "com.example.MyPolicy"}}),
         {"replication.policy.class", "com.example.MyPolicy",
          "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
          "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
          "io.kmirror.RenameReplicationPolicy",
          "com.amazonaws.kafka.samples.CustomMM2ReplicationPolicy"}},
        {props({{"replication.policy.class", ""}}), {"replication.policy.class"}},
        {props({{"replication.policy.separator", "_"},
                {"replication.policy.internal.topic.separator.enabled", "yes"}}),
         {"replication.policy.internal.topic.separator.enabled", "yes"}},
        {props({{"replication.policy.class", "RenameReplicationPolicy"}}),
         {"replication.policy.rename.prefix", "replication.policy.rename.regex"}},
        {props({{"replication.policy.class", "RenameReplicationPolicy"},
                {"replication.policy.rename.regex", "prod-(.*"},
                {"replication.policy.rename.replacement", "$1"}}),
         {"replication.policy.rename.regex", "prod-(.*", "invalid regular expression"}},
        {props({{"replication.policy.class", "RenameReplicationPolicy"},
                {"replication.policy.rename.regex", "prod-(.*)"},
                {"replication.policy.rename.replacement", "dr-$2"}}),
         {"replication.policy.rename.replacement", "no group 2"}},
        {props({{"replication.policy.class", "RenameReplicationPolicy"},
                {"replication.policy.rename.regex", "prod-(.*)"}}),
         {"replication.policy.rename.replacement", "missing"}},
        {props({{"replication.policy.class", "RenameReplicationPolicy"},
                {"replication.policy.rename.replacement", "x"}}),
         {"replication.policy.rename.regex", "missing"}},
        {props({{"replication.policy.class", "RenameReplicationPolicy"},
                {"replication.policy.rename.prefix", "dr-"},
                {"replication.policy.rename.regex", "(.*)"},
                {"replication.policy.rename.replacement", "$1"}}),
         {"not both"}},
    };
    for (const auto& c : cases) {
        auto r = make_replication_policy(c.cfg);
        ASSERT_FALSE(r.ok());
        for (const auto& f : c.fragments) {
            EXPECT_NE(r.error().message.find(f), std::string::npos)
                << "\"" << r.error().message << "\" lacks \"" << f << "\"";
        }
    }
}

TEST(ReplicationPolicyFactoryTest, RenameByRegexFromConfig) {
    auto p = must_make(props({{"replication.policy.class", "io.kmirror.RenameReplicationPolicy"},
                              {"source.cluster.alias", "A"},
                              {"replication.policy.rename.regex", "(?<env>prod|stage)-(.*)"},
                              {"replication.policy.rename.replacement", "dr.${env}.$2"}}));
    EXPECT_EQ(p->format_remote_topic("A", "prod-orders"), "dr.prod.orders");
    EXPECT_EQ(p->format_remote_topic("A", "dev-orders"), "dev-orders");
    EXPECT_EQ(p->topic_source("dr.prod.orders"), "A");
}

} // namespace
} // namespace kmirror::mirror
