// /metrics and /health of `kmirror run` against real brokers: the served values must match
// what was replicated (record counts, bytes, lag reaching 0 when caught up).
#include "support/kafka_ops.h"
#include "support/testbed.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <map>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;

struct Series {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

// Minimal parser of the text exposition format (our own output: no timestamps, no spaces in
// label values other than escaped ones).
std::vector<Series> parse_exposition(const std::string& text) {
    std::vector<Series> out;
    std::istringstream in(text);
    std::string line;
    static const std::regex label_re(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        Series s;
        const auto brace = line.find('{');
        const auto space = line.rfind(' ');
        if (brace != std::string::npos && brace < space) {
            s.name = line.substr(0, brace);
            const auto close = line.rfind('}');
            const std::string labels = line.substr(brace + 1, close - brace - 1);
            for (std::sregex_iterator it(labels.begin(), labels.end(), label_re), end; it != end;
                 ++it) {
                s.labels[(*it)[1]] = (*it)[2];
            }
        } else {
            s.name = line.substr(0, space);
        }
        const std::string v = line.substr(space + 1);
        s.value = v == "NaN" ? std::nan("") : std::stod(v);
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<Series> select(const std::vector<Series>& all, const std::string& name,
                           const std::map<std::string, std::string>& match = {}) {
    std::vector<Series> out;
    for (const auto& s : all) {
        if (s.name != name) {
            continue;
        }
        bool ok = true;
        for (const auto& [k, v] : match) {
            auto it = s.labels.find(k);
            ok = ok && it != s.labels.end() && it->second == v;
        }
        if (ok) {
            out.push_back(s);
        }
    }
    return out;
}

double sum(const std::vector<Series>& series) {
    double total = 0;
    for (const auto& s : series) {
        total += s.value;
    }
    return total;
}

std::string write_mm2(const std::string& topic, const std::string& extra) {
    const std::string path = "/tmp/" + unique_name("mm2-metrics") + ".properties";
    std::ofstream out(path);
    out << "clusters = source, target\n"
        << "source.bootstrap.servers = " << source_cluster().plaintext << "\n"
        << "target.bootstrap.servers = " << target_cluster().plaintext << "\n"
        << "source->target.enabled = true\n"
        << "source->target.topics = " << topic << "\n"
        << "replication.factor = 1\n"
        << "offset-syncs.topic.replication.factor = 1\n"
        << "refresh.topics.interval.seconds = 2\n"
        << "admin.timeout.ms = 10000\n"
        << "kmirror.progress.group.id = " << unique_name("kmirror-progress") << "\n"
        << extra;
    return path;
}

// The port kmirror bound (listener port 0), from its log line.
int bound_port(ChildProcess& proc) {
    int port = 0;
    const bool found = eventually(
        [&] {
            static const std::regex re(R"(metrics endpoint: listening on http://[^:]+:([0-9]+))");
            std::smatch m;
            const std::string log = proc.log();
            if (std::regex_search(log, m, re)) {
                port = std::stoi(m[1]);
                return true;
            }
            return !proc.running();
        },
        30s);
    EXPECT_TRUE(found && port > 0) << "no 'listening' line in the log:\n" << proc.log();
    return port;
}

TEST(Metrics, ServesMm2AndLagSeriesMatchingWhatWasReplicated) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("metrics");
    const std::string replica = "source." + topic;
    create_topic(src, topic, 2);
    auto records = make_records(300, 2, "metrics");
    produce(src, topic, records);

    ChildProcess proc(KMIRROR_BINARY,
                      {"run", write_mm2(topic, "kmirror.metrics.listener = http://127.0.0.1:0\n")});
    const int port = bound_port(proc);
    ASSERT_GT(port, 0);
    httplib::Client http("127.0.0.1", port);
    http.set_read_timeout(10, 0);

    // Health: Connect's shape once the flows run.
    std::string health_body;
    ASSERT_TRUE(eventually(
        [&] {
            auto res = http.Get("/health");
            if (res && res->status == 200) {
                health_body = res->body;
                return true;
            }
            EXPECT_TRUE(!res || res->status == 503) << res->status << " " << res->body;
            return false;
        },
        30s))
        << proc.log();
    EXPECT_EQ(health_body, R"({"status":"healthy","message":"Worker has completed startup and is )"
                           R"(ready to handle requests."})");

    std::vector<Series> all;
    auto scrape = [&] {
        auto res = http.Get("/metrics");
        if (!res || res->status != 200) {
            return false;
        }
        EXPECT_EQ(res->get_header_value("Content-Type"),
                  "text/plain; version=0.0.4; charset=utf-8");
        all = parse_exposition(res->body);
        return true;
    };
    auto caught_up = [&](double expected) {
        if (!scrape()) {
            return false;
        }
        const auto lag = select(all, "kmirror_replication_lag_records", {{"topic", replica}});
        bool lag_zero = lag.size() == 2;
        for (const auto& s : lag) {
            lag_zero = lag_zero && s.value == 0;
        }
        const auto count = select(all, "kafka_connect_mirror_source_connector_record_count",
                                  {{"topic", replica}, {"destination", "target"}});
        return lag_zero && count.size() == 2 && sum(count) == expected;
    };
    ASSERT_TRUE(eventually([&] { return caught_up(300); }, 60s, 250ms)) << proc.log();

    // MM2 series per partition, with the exporter's labels.
    double value_bytes = 0;
    for (const auto& r : records) {
        value_bytes += r.value ? static_cast<double>(r.value->size()) : 0;
    }
    EXPECT_EQ(
        sum(select(all, "kafka_connect_mirror_source_connector_byte_count", {{"topic", replica}})),
        value_bytes);
    for (const char* name : {"kafka_connect_mirror_source_connector_replication_latency_ms_avg",
                             "kafka_connect_mirror_source_connector_replication_latency_ms_min",
                             "kafka_connect_mirror_source_connector_replication_latency_ms_max",
                             "kafka_connect_mirror_source_connector_record_age_ms_avg",
                             "kafka_connect_mirror_source_connector_record_age_ms_max",
                             "kafka_connect_mirror_source_connector_record_rate",
                             "kafka_connect_mirror_source_connector_byte_rate"}) {
        const auto series = select(all, name, {{"topic", replica}});
        ASSERT_EQ(series.size(), 2u) << name;
        for (const auto& s : series) {
            EXPECT_TRUE(s.labels.count("partition") == 1 && s.labels.at("destination") == "target")
                << name;
            EXPECT_GE(s.value, 0) << name; // not NaN: records were replicated this window
        }
    }
    EXPECT_EQ(sum(select(all, "kmirror_replication_lag_seconds", {{"topic", replica}})), 0);
    EXPECT_GE(sum(select(all, "kmirror_records_replicated_total", {{"source", "source"}})), 300);
    // The flow also replicates `heartbeats` (a record a second), so a scrape may catch one in
    // flight; it must drain to 0.
    EXPECT_TRUE(eventually(
        [&] {
            return scrape() &&
                   sum(select(all, "kafka_connect_source_task_source_record_active_count")) == 0;
        },
        10s, 100ms))
        << "records stay active after the copy";
    EXPECT_EQ(sum(select(all, "kafka_connect_connector_status", {{"status", "running"}})), 1);
    EXPECT_EQ(sum(select(all, "kafka_connect_worker_connector_count")), 1);
    EXPECT_EQ(sum(select(all, "kafka_connect_worker_task_count")), 1);

    // Consumer fetch metrics (librdkafka statistics, every 5 s by default).
    ASSERT_TRUE(eventually(
        [&] {
            return scrape() &&
                   select(all, "kafka_consumer_fetch_manager_records_lag", {{"topic", topic}})
                           .size() == 2 &&
                   !select(all, "kafka_consumer_fetch_manager_fetch_latency_avg").empty() &&
                   sum(select(all, "kafka_consumer_incoming_byte_total")) > value_bytes;
        },
        30s))
        << "consumer statistics missing";
    for (const auto& s :
         select(all, "kafka_consumer_fetch_manager_records_lag", {{"topic", topic}})) {
        EXPECT_EQ(s.value, 0);
    }

    // The target stops answering (its broker frozen with SIGSTOP): new source records cannot be
    // copied and the lag series rise. When it answers again, counts follow and lag returns to 0.
    const char* target_pid_env = std::getenv("KMIRROR_TEST_TARGET_BROKER_PID");
    ASSERT_NE(target_pid_env, nullptr) << "run under tools/kafka/testbed.py (scripts/test.sh)";
    const pid_t target_pid = static_cast<pid_t>(std::stol(target_pid_env));
    struct Thaw { // resumes the broker whatever happens below
        pid_t pid;
        ~Thaw() { ::kill(pid, SIGCONT); }
    } thaw{target_pid};
    ASSERT_EQ(::kill(target_pid, SIGSTOP), 0);
    produce(src, topic, make_records(200, 2, "metrics-more"));
    double lag_while_stopped = 0;
    EXPECT_TRUE(eventually(
        [&] {
            if (!scrape()) {
                return false;
            }
            lag_while_stopped =
                sum(select(all, "kmirror_replication_lag_records", {{"topic", replica}}));
            return lag_while_stopped > 0;
        },
        20s, 250ms))
        << "lag did not rise while the target was stopped";
    ::kill(target_pid, SIGCONT);
    ASSERT_TRUE(eventually([&] { return caught_up(500); }, 90s, 250ms)) << proc.log();

    proc.signal(SIGTERM);
    auto code = proc.wait_for(15s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << proc.log();
}

TEST(Metrics, RejectsAnInvalidListenerNamingTheKey) {
    const std::string topic = unique_name("metrics-bad");
    ChildProcess proc(KMIRROR_BINARY,
                      {"run", write_mm2(topic, "kmirror.metrics.listener = https://0.0.0.0:1\n")});
    auto code = proc.wait_for(30s);
    ASSERT_TRUE(code.has_value()) << proc.log();
    EXPECT_EQ(*code, 2);
    EXPECT_NE(proc.log().find("kmirror.metrics.listener"), std::string::npos) << proc.log();
}

// Every PromQL expression of the shipped dashboard (the seed's panels unchanged plus kmirror's)
// returns data from the real Prometheus server (Debian's `prometheus`) scraping kmirror.
TEST(MetricsPrometheus, EveryDashboardExpressionReturnsData) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("metrics-prom");
    create_topic(src, topic, 2);
    produce(src, topic, make_records(200, 2, "prom"));

    // The seed's dashboard selects the consumer by an MM2-era client id.
    ChildProcess kmirror(KMIRROR_BINARY,
                         {"run", write_mm2(topic, "kmirror.metrics.listener = http://127.0.0.1:0\n"
                                                  "source.consumer.client.id = "
                                                  "consumer-mm2-msc-cons-0\n")});
    const int kmirror_port = bound_port(kmirror);
    ASSERT_GT(kmirror_port, 0);

    const std::string dir = "/tmp/" + unique_name("prometheus");
    const std::string config = dir + ".yml";
    struct Cleanup { // runs after Prometheus (declared later) has been killed
        std::string dir, config;
        ~Cleanup() {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
            std::filesystem::remove(config, ignored);
        }
    } cleanup{dir, config};
    {
        std::ofstream out(config);
        out << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            << "scrape_configs:\n  - job_name: kmirror\n    static_configs:\n"
            << "      - targets: ['127.0.0.1:" << kmirror_port << "']\n";
    }
    const int prom_port = free_loopback_port();
    ChildProcess prometheus("prometheus",
                            {"--config.file=" + config, "--storage.tsdb.path=" + dir,
                             "--web.listen-address=127.0.0.1:" + std::to_string(prom_port),
                             "--log.level=warn"});
    httplib::Client api("127.0.0.1", prom_port);
    api.set_read_timeout(10, 0);
    ASSERT_TRUE(eventually(
        [&] {
            auto res = api.Get("/-/ready");
            return (res && res->status == 200) || !prometheus.running();
        },
        60s))
        << prometheus.log();
    ASSERT_TRUE(prometheus.running()) << prometheus.log();

    std::ifstream file(std::string(KMIRROR_SOURCE_DIR) +
                       "/deploy/grafana/dashboards/kmirror-mm2.json");
    ASSERT_TRUE(file.good());
    const auto dashboard = nlohmann::json::parse(file);
    std::vector<std::string> expressions;
    for (const auto& panel : dashboard.at("panels")) {
        for (const auto& target : panel.value("targets", nlohmann::json::array())) {
            expressions.push_back(target.at("expr").get<std::string>());
        }
    }
    ASSERT_GE(expressions.size(), 6u); // the seed alone has 6

    auto returns_data = [&](const std::string& expr) {
        auto res = api.Get("/api/v1/query", httplib::Params{{"query", expr}}, httplib::Headers{});
        if (!res || res->status != 200) {
            return false;
        }
        const auto body = nlohmann::json::parse(res->body);
        return body.value("status", "") == "success" && !body["data"]["result"].empty();
    };
    for (const auto& expr : expressions) {
        // Per-group checkpoint series appear once the checkpoint task publishes them
        // (metrics::CheckpointGroupMetrics); this test runs no consumer group.
        if (expr.find("kmirror_checkpoint_") != std::string::npos) {
            continue;
        }
        EXPECT_TRUE(eventually([&] { return returns_data(expr); }, 60s, 500ms))
            << "no data for: " << expr << "\n"
            << kmirror.log();
    }
}

} // namespace
} // namespace kmirror::testing
