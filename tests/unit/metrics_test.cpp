#include "http/http_server.h"
#include "metrics/exposition.h"
#include "metrics/mirror_metrics.h"
#include "metrics/registry.h"
#include "mirror/source_task_probe.h"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <vector>

namespace kmirror::metrics {
namespace {

const Sample* find(const std::vector<Sample>& samples, const std::string& name,
                   const Labels& labels = {}) {
    for (const auto& s : samples) {
        if (s.name == name && (labels.empty() || s.labels == labels)) {
            return &s;
        }
    }
    return nullptr;
}

TEST(MetricsExposition, HelpAndTypeOncePerFamilySortedByNameThenLabels) {
    Registry r;
    auto b = r.counter("b_total", "Bees.", {{"hive", "2"}});
    auto a = r.gauge("a_gauge", "Ays.", {});
    auto b1 = r.counter("b_total", "Bees.", {{"hive", "1"}});
    auto u = r.counter("c_untyped", "", {}, Type::untyped);
    b->inc(3);
    b1->inc();
    a->set(2.5);
    EXPECT_EQ(r.exposition(), "# HELP a_gauge Ays.\n"
                              "# TYPE a_gauge gauge\n"
                              "a_gauge 2.5\n"
                              "# HELP b_total Bees.\n"
                              "# TYPE b_total counter\n"
                              "b_total{hive=\"1\"} 1\n"
                              "b_total{hive=\"2\"} 3\n"
                              "# TYPE c_untyped untyped\n"
                              "c_untyped 0\n");
}

TEST(MetricsExposition, EscapesLabelValuesAndHelp) {
    EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    EXPECT_EQ(escape_help("line1\nback\\slash \"quotes\" stay"),
              "line1\\nback\\\\slash \"quotes\" stay");
    Registry r;
    auto g = r.gauge("g", "multi\nline", {{"topic", "we\"ird\\name\n"}});
    EXPECT_EQ(r.exposition(), "# HELP g multi\\nline\n"
                              "# TYPE g gauge\n"
                              "g{topic=\"we\\\"ird\\\\name\\n\"} 0\n");
}

TEST(MetricsExposition, SanitisesNamesAsTheJmxExporter) {
    EXPECT_EQ(sanitize_metric_name("kafka.connect-mirror:x y"), "kafka_connect_mirror:x_y");
    EXPECT_EQ(sanitize_metric_name("9lives"), "_9lives");
    EXPECT_EQ(sanitize_label_name("client-id"), "client_id");
    EXPECT_EQ(sanitize_label_name("a:b"), "a_b");
    Registry r;
    auto g = r.gauge("record-age.ms", "", {{"client-id", "x"}});
    EXPECT_EQ(r.exposition(), "# TYPE record_age_ms gauge\nrecord_age_ms{client_id=\"x\"} 0\n");
}

TEST(MetricsExposition, FormatsSpecialAndLargeValues) {
    EXPECT_EQ(format_value(std::nan("")), "NaN");
    EXPECT_EQ(format_value(INFINITY), "+Inf");
    EXPECT_EQ(format_value(-INFINITY), "-Inf");
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(12345678901234.0), "12345678901234");
    EXPECT_EQ(format_value(0.1), "0.1");
    EXPECT_EQ(format_value(-3.25), "-3.25");
}

TEST(MetricsRegistry, SeriesDisappearWhenTheirHandleIsDropped) {
    Registry r;
    auto keep = r.counter("x_total", "", {{"p", "0"}});
    {
        auto gone = r.counter("x_total", "", {{"p", "1"}});
        EXPECT_EQ(r.collect().size(), 2u);
    }
    auto samples = r.collect();
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_EQ(samples[0].labels, (Labels{{"p", "0"}}));
}

TEST(MetricsRegistry, RegistryOwnedGaugesAreSetAndRemoved) {
    Registry r;
    r.set_gauge("kmirror_checkpoint_age_seconds", "h", {{"group", "g1"}}, 3);
    r.set_gauge("kmirror_checkpoint_age_seconds", "h", {{"group", "g1"}}, 4);
    r.set_gauge("kmirror_checkpoint_age_seconds", "h", {{"group", "g2"}}, 1);
    auto samples = r.collect();
    ASSERT_EQ(samples.size(), 2u);
    EXPECT_EQ(samples[0].value, 4);
    r.remove("kmirror_checkpoint_age_seconds", {{"group", "g1"}});
    samples = r.collect();
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_EQ(samples[0].labels, (Labels{{"group", "g2"}}));
}

TEST(MetricsRegistry, CollectorsAndCallbacksAreEvaluatedAtScrape) {
    Registry r;
    double v = 1;
    auto cb = r.callback("cb", "", {}, [&] { return v; });
    auto token = r.add_collector([](std::vector<Sample>& out) {
        out.push_back({"col", "from a collector", Type::gauge, {{"k", "b"}}, 2});
        out.push_back({"col", "from a collector", Type::gauge, {{"k", "a"}}, 1});
        out.push_back({"col", "duplicate", Type::gauge, {{"k", "a"}}, 9});
    });
    v = 7;
    EXPECT_EQ(r.exposition(), "# TYPE cb gauge\ncb 7\n"
                              "# HELP col from a collector\n# TYPE col gauge\n"
                              "col{k=\"a\"} 1\ncol{k=\"b\"} 2\n");
    token.reset();
    cb.reset();
    EXPECT_EQ(r.exposition(), "");
}

TEST(MetricsRegistry, CountersAreExactUnderConcurrentWritersAndScrapes) {
    Registry r;
    auto c = r.counter("n_total", "", {});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 100000; ++i) {
                c->inc();
            }
        });
    }
    for (int i = 0; i < 50; ++i) {
        (void)r.exposition();
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(r.exposition(), "# TYPE n_total counter\nn_total 400000\n");
}

TEST(MetricsWindowedStat, MinAvgMaxOverTwoWindowsNaNWhenEmpty) {
    WindowedStat s(1000);
    auto empty = s.snapshot(10'500);
    EXPECT_TRUE(std::isnan(empty.min));
    EXPECT_TRUE(std::isnan(empty.avg));
    EXPECT_TRUE(std::isnan(empty.max));
    EXPECT_EQ(empty.rate, 0);
    s.record(10, 10'100); // window 10
    s.record(30, 10'900);
    s.record(20, 11'200); // window 11
    auto snap = s.snapshot(11'500);
    EXPECT_EQ(snap.count, 3u);
    EXPECT_EQ(snap.min, 10);
    EXPECT_EQ(snap.max, 30);
    EXPECT_EQ(snap.avg, 20);
    // Span: window 10 start (10'000) to now (11'500) = 1.5 s.
    EXPECT_DOUBLE_EQ(snap.rate, 60 / 1.5);
    EXPECT_DOUBLE_EQ(snap.count_rate, 3 / 1.5);
    // Window 12 replaces window 10; window 11 still counts.
    s.record(5, 12'000);
    snap = s.snapshot(12'000);
    EXPECT_EQ(snap.count, 2u);
    EXPECT_EQ(snap.min, 5);
    EXPECT_EQ(snap.max, 20);
    // Two windows later nothing is left.
    snap = s.snapshot(14'000);
    EXPECT_EQ(snap.count, 0u);
    EXPECT_TRUE(std::isnan(snap.max));
}

TEST(MetricsWindowedStat, PublishesTheRequestedParts) {
    Registry r;
    auto stat = r.windowed("lat_ms", "Latency.", {{"p", "0"}},
                           WindowedParts{true, true, true, "bytes_rate", "rec_rate"});
    stat->record(4, wall_clock_ms());
    auto samples = r.collect();
    std::vector<std::string> names;
    for (const auto& s : samples) {
        names.push_back(s.name);
        EXPECT_EQ(s.type, Type::gauge);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"bytes_rate", "lat_ms_avg", "lat_ms_max",
                                               "lat_ms_min", "rec_rate"}));
    EXPECT_EQ(find(samples, "lat_ms_max")->value, 4);
    EXPECT_GT(find(samples, "rec_rate")->value, 0);
}

TEST(MetricsCheckpointApi, AgeAndExactnessPerGroup) {
    Registry r;
    {
        CheckpointGroupMetrics g(r, "A", "B", "orders");
        const Labels labels{{"source", "A"}, {"target", "B"}, {"group", "orders"}};
        auto samples = r.collect();
        ASSERT_NE(find(samples, names::kCheckpointAge, labels), nullptr);
        EXPECT_TRUE(std::isnan(find(samples, names::kCheckpointAge, labels)->value));
        EXPECT_TRUE(std::isnan(find(samples, names::kCheckpointExact, labels)->value));
        g.on_checkpoint(wall_clock_ms() - 5000, false);
        samples = r.collect();
        EXPECT_GE(find(samples, names::kCheckpointAge, labels)->value, 5.0);
        EXPECT_LT(find(samples, names::kCheckpointAge, labels)->value, 60.0);
        EXPECT_EQ(find(samples, names::kCheckpointExact, labels)->value, 0);
        EXPECT_EQ(find(samples, names::kCheckpointsWritten, labels)->value, 1);
        g.on_checkpoint(wall_clock_ms(), true);
        EXPECT_EQ(find(r.collect(), names::kCheckpointExact, labels)->value, 1);
    }
    EXPECT_TRUE(r.collect().empty());
}

TEST(MetricsCheckpointApi, LatencyUsesMm2Names) {
    Registry r;
    CheckpointLatency latency(r, "A", "B", "g", "A.t", 3);
    latency.record(12, wall_clock_ms());
    const Labels labels{
        {"source", "A"}, {"target", "B"}, {"group", "g"}, {"topic", "A.t"}, {"partition", "3"}};
    auto samples = r.collect();
    for (const char* suffix : {"", "_min", "_avg", "_max"}) {
        const auto* s = find(samples, std::string(names::kCheckpointLatency) + suffix, labels);
        ASSERT_NE(s, nullptr) << suffix;
        EXPECT_EQ(s->value, 12) << suffix;
    }
}

TEST(MetricsConsumerStats, ParsesLibrdkafkaStatistics) {
    const char* json = R"({
      "name": "rdkafka#consumer-1", "client_id": "A->B|MirrorSourceConnector|replication-consumer",
      "type": "consumer", "rx_bytes": 123456,
      "brokers": {
        "localhost:9092/1": {"nodeid": 1, "rtt": {"min": 1000, "max": 9000, "avg": 2000, "cnt": 3}},
        "localhost:9093/2": {"nodeid": 2, "rtt": {"min": 0, "max": 0, "avg": 0, "cnt": 0}},
        "GroupCoordinator": {"nodeid": -1, "rtt": {"min": 4000, "max": 6000, "avg": 5000, "cnt": 1}}
      },
      "topics": {
        "orders": {"partitions": {
          "0": {"partition": 0, "desired": true, "fetch_state": "active", "consumer_lag": 7},
          "1": {"partition": 1, "desired": false, "fetch_state": "none", "consumer_lag": -1},
          "2": {"partition": 2, "desired": true, "fetch_state": "active", "consumer_lag": -1,
                "app_offset": 40, "hi_offset": 50, "ls_offset": 45},
          "-1": {"partition": -1, "desired": false, "fetch_state": "none", "consumer_lag": -1}
        }}
      }
    })";
    auto stats = mirror::parse_consumer_stats(json);
    ASSERT_TRUE(stats.ok()) << stats.error().message;
    EXPECT_EQ(stats->client_id, "A->B|MirrorSourceConnector|replication-consumer");
    EXPECT_EQ(stats->rx_bytes, 123456);
    EXPECT_DOUBLE_EQ(stats->fetch_latency_avg_ms, (2000.0 * 3 + 5000.0) / 4 / 1000.0);
    EXPECT_DOUBLE_EQ(stats->fetch_latency_max_ms, 9.0);
    ASSERT_EQ(stats->partitions.size(), 2u);
    std::sort(stats->partitions.begin(), stats->partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    EXPECT_EQ(stats->partitions[0].topic, "orders");
    EXPECT_EQ(stats->partitions[0].records_lag, 7);
    // No committed offset (assign mode): last stable offset minus the application position.
    EXPECT_EQ(stats->partitions[1].partition, 2);
    EXPECT_EQ(stats->partitions[1].records_lag, 5);
    EXPECT_EQ(stats->records_lag_max, 7);
    EXPECT_FALSE(mirror::parse_consumer_stats("not json").ok());
}

TEST(MetricsConsumerStats, ForwarderFetchesJoinTheConsumersFigures) {
    mirror::ConsumerFetchStats stats;
    stats.rx_bytes = 1000;
    stats.fetch_latency_avg_ms = 4;
    stats.fetch_latency_max_ms = 9;
    stats.records_lag_max = 3;
    stats.partitions = {{"orders", 0, 3}, {"orders", 1, -1}};
    mirror::ForwarderFetchStats forwarded;
    forwarded.rx_bytes = 500;
    forwarded.latency_avg_ms = 2;
    forwarded.latency_max_ms = 12;
    forwarded.lags = {{"orders", 1, 8}, {"payments", 0, 0}};
    mirror::add_forwarder_fetch_stats(stats, forwarded);
    EXPECT_EQ(stats.rx_bytes, 1500);
    EXPECT_DOUBLE_EQ(stats.fetch_latency_avg_ms, 3);
    EXPECT_DOUBLE_EQ(stats.fetch_latency_max_ms, 12);
    EXPECT_EQ(stats.records_lag_max, 8);
    ASSERT_EQ(stats.partitions.size(), 3u);
    EXPECT_EQ(stats.partitions[1].records_lag, 8) << "the forwarder's lag replaces the unknown one";
    EXPECT_EQ(stats.partitions[2].topic, "payments");

    mirror::ConsumerFetchStats idle; // no consumer fetches: the forwarder's latency alone
    mirror::add_forwarder_fetch_stats(idle, forwarded);
    EXPECT_DOUBLE_EQ(idle.fetch_latency_avg_ms, 2);
    mirror::add_forwarder_fetch_stats(idle, mirror::ForwarderFetchStats{});
    EXPECT_DOUBLE_EQ(idle.fetch_latency_avg_ms, 2) << "no forwarder fetches change nothing";
}

TEST(MetricsListener, ParsesListenerUrls) {
    auto l = http::parse_listener("http://0.0.0.0:9400");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->host, "0.0.0.0");
    EXPECT_EQ(l->port, 9400);
    l = http::parse_listener(":9500/");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->host, "0.0.0.0");
    EXPECT_EQ(l->port, 9500);
    l = http::parse_listener("http://[::1]:80");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->host, "::1");
    EXPECT_FALSE(http::parse_listener("https://x:1").ok());
    EXPECT_FALSE(http::parse_listener("http://x").ok());
    EXPECT_FALSE(http::parse_listener("http://x:70000").ok());
}

} // namespace
} // namespace kmirror::metrics
