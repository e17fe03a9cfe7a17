#include "config/checkpoint_config.h"
#include "config/connector_config.h"
#include "config/mm2_config.h"
#include "mirror/flow.h"

#include <gtest/gtest.h>

namespace kmirror::config {
namespace {

Properties parse(const char* text) {
    auto p = Properties::parse(text);
    EXPECT_TRUE(p.ok());
    return p.ok() ? *p : Properties{};
}

constexpr const char* kBasic = R"(
clusters = A, B
A.bootstrap.servers = a:9092
B.bootstrap.servers = b:9092
A->B.enabled = true
A->B.topics = ^ExampleTopic[\\w]*
replication.factor = 1
A.consumer.fetch.min.bytes = 10
B.producer.linger.ms = 7
security.protocol = PLAINTEXT
)";

TEST(Mm2Config, BuildsOneConnectorConfigPerEnabledFlow) {
    auto cfg = build_dedicated_config(parse(kBasic));
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    ASSERT_EQ(cfg->flows.size(), 1u);
    const auto& c = cfg->flows[0].connector;
    EXPECT_EQ(c.get("source.cluster.alias"), "A");
    EXPECT_EQ(c.get("target.cluster.alias"), "B");
    EXPECT_EQ(c.get("source.cluster.bootstrap.servers"), "a:9092");
    EXPECT_EQ(c.get("target.cluster.bootstrap.servers"), "b:9092");
    EXPECT_EQ(c.get("topics"), "^ExampleTopic[\\w]*");
    EXPECT_EQ(c.get("replication.factor"), "1");
    EXPECT_EQ(c.get("source.consumer.fetch.min.bytes"), "10");
    EXPECT_EQ(c.get("target.producer.linger.ms"), "7");
    EXPECT_EQ(c.get("enabled"), "true");
    EXPECT_EQ(c.get("name"), "MirrorSourceConnector");
    EXPECT_EQ(c.get("connector.class"), "org.apache.kafka.connect.mirror.MirrorSourceConnector");
    // Top-level client settings fan out to every role of every cluster (clusterProps rule 3).
    EXPECT_EQ(c.get("source.cluster.security.protocol"), "PLAINTEXT");
    EXPECT_EQ(c.get("target.consumer.security.protocol"), "PLAINTEXT");
    EXPECT_TRUE(cfg->warnings.empty());
}

TEST(Mm2Config, ErrorsNameTheKey) {
    struct Case {
        const char* text;
        const char* expected_fragment;
    };
    const Case cases[] = {
        {"A.bootstrap.servers=a:1\nA->B.enabled=true", "'clusters' is required"},
        {"clusters=A,B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->C.enabled=true",
         "names cluster 'C'"},
        {"clusters=A,B\nA.bootstrap.servers=a:1\nA->B.enabled=true", "'B.bootstrap.servers'"},
        {"clusters=A,B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1",
         "No source->target replication flows"},
        {"clusters=A,B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->B.enabled=yes",
         "'A->B.enabled'"},
    };
    for (const auto& c : cases) {
        auto cfg = build_dedicated_config(parse(c.text));
        ASSERT_FALSE(cfg.ok()) << c.text;
        EXPECT_NE(cfg.error().message.find(c.expected_fragment), std::string::npos)
            << cfg.error().message;
    }
}

TEST(Mm2Config, UnknownTopLevelKeyIsWarnedNotSilent) {
    auto props = parse(kBasic);
    props.set("replicaton.factor", "3"); // typo
    auto cfg = build_dedicated_config(props);
    ASSERT_TRUE(cfg.ok());
    ASSERT_EQ(cfg->warnings.size(), 1u);
    EXPECT_NE(cfg->warnings[0].find("replicaton.factor"), std::string::npos);
}

TEST(Mm2Config, ClustersOptionKeepsFlowsByTarget) {
    auto props = parse(kBasic);
    props.set("B->A.enabled", "true");
    auto only_a = build_dedicated_config(props, {"A"});
    ASSERT_TRUE(only_a.ok());
    ASSERT_EQ(only_a->flows.size(), 1u);
    EXPECT_EQ(only_a->flows[0].target, "A");
    EXPECT_FALSE(build_dedicated_config(props, {"Z"}).ok());
}

TEST(Mm2Config, FlowOverridesWin) {
    auto props = parse(kBasic);
    props.set("A->B.replication.factor", "3");
    auto cfg = build_dedicated_config(props);
    ASSERT_TRUE(cfg.ok());
    EXPECT_EQ(cfg->flows[0].connector.get("replication.factor"), "3");
}

TEST(ConnectorConfig, ParsesDefaultsAndClientPrecedence) {
    auto cfg = build_dedicated_config(parse(kBasic));
    ASSERT_TRUE(cfg.ok());
    auto s = parse_mirror_source(cfg->flows[0].connector);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->replication_factor, 1);
    EXPECT_EQ(s->refresh_topics_interval.count(), 600);
    EXPECT_EQ(s->offset_syncs_location, OffsetSyncsLocation::source);
    EXPECT_EQ(s->source_consumer.get("bootstrap.servers"), "a:9092");
    EXPECT_EQ(s->source_consumer.get("fetch.min.bytes"), "10");
    EXPECT_EQ(s->source_consumer.get("enable.auto.commit"), "false");
    EXPECT_EQ(s->source_consumer.get("auto.offset.reset"), "earliest");
    EXPECT_EQ(s->target_producer.get("linger.ms"), "7");
    EXPECT_EQ(s->target_producer.get("bootstrap.servers"), "b:9092");
}

TEST(ConnectorConfig, SeedStyleConnectorJsonKeys) {
    // The seed's connector JSON puts tuning under source.cluster./target.cluster. and
    // producer.override.: MM2 applies only connection settings from the cluster prefixes.
    Properties c;
    c.set("name", "mm2-msc");
    c.set("source.cluster.alias", "source");
    c.set("target.cluster.alias", "target");
    c.set("source.cluster.bootstrap.servers", "s:9092");
    c.set("target.cluster.bootstrap.servers", "t:9092");
    c.set("source.cluster.max.poll.records", "50000");
    c.set("producer.override.compression.type", "gzip");
    auto s = parse_mirror_source(c);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->target_producer.get("compression.type"), "gzip");
    EXPECT_FALSE(s->source_consumer.contains("max.poll.records"));
    ASSERT_EQ(s->notes.size(), 1u);
    EXPECT_EQ(s->notes[0], "source.cluster.max.poll.records");
}

TEST(ConnectorConfig, ValidationErrorsNameKeyAndExpectation) {
    struct Case {
        const char* key;
        const char* value;
        const char* fragment;
    };
    const Case cases[] = {
        {"replication.factor", "three", "'replication.factor': expected an integer"},
        {"replication.factor", "0", "'replication.factor'"},
        {"refresh.topics.enabled", "maybe", "'refresh.topics.enabled': expected true or false"},
        {"kmirror.batch.forwarding", "yes", "'kmirror.batch.forwarding': expected true or false"},
        {"offset-syncs.topic.location", "Source", "'offset-syncs.topic.location'"},
        {"consumer.auto.offset.reset", "none", "'consumer.auto.offset.reset'"},
        {"source.cluster.alias", "", "'source.cluster.alias' is required"},
        {"target.cluster.alias", "source", "both 'source'"},
        {"source.cluster.bootstrap.servers", "", "'source.cluster.bootstrap.servers'"},
    };
    for (const auto& c : cases) {
        Properties p;
        p.set("source.cluster.alias", "source");
        p.set("source.cluster.bootstrap.servers", "s:1");
        p.set("target.cluster.bootstrap.servers", "t:1");
        p.set(c.key, c.value);
        auto s = parse_mirror_source(p);
        ASSERT_FALSE(s.ok()) << c.key << "=" << c.value;
        EXPECT_NE(s.error().message.find(c.fragment), std::string::npos) << s.error().message;
    }
}

TEST(ConnectorConfig, BatchForwardingIsOnUnlessTurnedOff) {
    Properties p;
    p.set("source.cluster.alias", "source");
    p.set("source.cluster.bootstrap.servers", "s:1");
    p.set("target.cluster.bootstrap.servers", "t:1");
    auto defaults = parse_mirror_source(p);
    ASSERT_TRUE(defaults.ok()) << defaults.error().message;
    EXPECT_TRUE(defaults->batch_forwarding);
    p.set("kmirror.batch.forwarding", "false");
    auto off = parse_mirror_source(p);
    ASSERT_TRUE(off.ok()) << off.error().message;
    EXPECT_FALSE(off->batch_forwarding);
}

TEST(CheckpointConfig, OffsetRunsPruneIntervalDefaultsAndErrorsNameTheKey) {
    Properties p;
    p.set("source.cluster.alias", "source");
    p.set("source.cluster.bootstrap.servers", "s:1");
    p.set("target.cluster.bootstrap.servers", "t:1");
    auto defaults = parse_mirror_checkpoint(p);
    ASSERT_TRUE(defaults.ok()) << defaults.error().message;
    EXPECT_EQ(defaults->offset_runs_prune_interval.count(), 300);
    p.set("kmirror.offset.runs.prune.interval.seconds", "30");
    auto set = parse_mirror_checkpoint(p);
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set->offset_runs_prune_interval.count(), 30);
    for (const char* bad : {"0", "soon"}) {
        p.set("kmirror.offset.runs.prune.interval.seconds", bad);
        auto s = parse_mirror_checkpoint(p);
        ASSERT_FALSE(s.ok()) << bad;
        EXPECT_NE(s.error().message.find("'kmirror.offset.runs.prune.interval.seconds'"),
                  std::string::npos)
            << s.error().message;
    }
}

// Turning idempotence off (a Java habit) must not let librdkafka reorder records on a retry: the
// data producer then keeps one request in flight, and the start-up notes say so.
TEST(Mm2Config, ProducerWithoutIdempotenceKeepsOneRequestInFlight) {
    struct Case {
        const char* extra;
        bool expect_note;
    };
    const Case cases[] = {
        {"B.producer.enable.idempotence = false\n", true},
        {"B.producer.enable.idempotence = false\nB.producer.max.in.flight.requests.per.connection "
         "= 5\n",
         true},
        {"B.producer.enable.idempotence = false\nB.producer.max.in.flight.requests.per.connection "
         "= 1\n",
         false},
        {"", false},
    };
    for (const auto& c : cases) {
        auto cfg = build_dedicated_config(parse((std::string(kBasic) + c.extra).c_str()));
        ASSERT_TRUE(cfg.ok()) << cfg.error().message;
        auto settings = parse_mirror_source(cfg->flows[0].connector);
        ASSERT_TRUE(settings.ok()) << settings.error().message;
        auto flow = mirror::Flow::create(*settings);
        ASSERT_TRUE(flow.ok()) << flow.error().message;
        bool noted = false;
        for (const auto& note : (*flow)->notes()) {
            noted =
                noted || note.find("'max.in.flight.requests.per.connection'") != std::string::npos;
        }
        EXPECT_EQ(noted, c.expect_note) << c.extra;
    }
}

// Bad values of the connector keys this session added: one error naming the key, no flow.
TEST(Mm2Config, TasksMaxAndMm2OffsetsTopicErrorsNameTheKey) {
    struct Case {
        const char* extra;
        const char* key;
    };
    const Case cases[] = {
        {"tasks.max = 0\n", "'tasks.max'"},
        {"tasks.max = four\n", "'tasks.max'"},
        {"A->B.kmirror.mm2.offsets.topic = \n", "'kmirror.mm2.offsets.topic'"},
    };
    for (const auto& c : cases) {
        auto cfg = build_dedicated_config(parse((std::string(kBasic) + c.extra).c_str()));
        ASSERT_TRUE(cfg.ok()) << cfg.error().message;
        auto settings = parse_mirror_source(cfg->flows[0].connector);
        ASSERT_FALSE(settings.ok()) << c.extra;
        EXPECT_NE(settings.error().message.find(c.key), std::string::npos)
            << settings.error().message;
    }
    auto cfg = build_dedicated_config(parse((std::string(kBasic) + "tasks.max = 4\n").c_str()));
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto settings = parse_mirror_source(cfg->flows[0].connector);
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->tasks_max, 4);
    EXPECT_EQ(settings->mm2_offsets_topic, "mm2-offsets.A.internal");
}

} // namespace
} // namespace kmirror::config
