// Golden-JSON tests of the Connect REST layer (rest/connect_rest.h) over a fake herder: every
// endpoint's status code and body shape as Kafka Connect returns them (mm2.md §8).
#include "connect/cluster_status.h"
#include "connect/worker_config.h"
#include "rest/connect_rest.h"

#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>

namespace kmirror::rest {
namespace {

using connect::ConnectorConfig;
using Json = nlohmann::json;

class FakeHerder : public connect::HerderApi {
public:
    std::map<std::string, ConnectorConfig> configs;
    std::map<std::string, connect::TargetState> states;
    std::map<std::string, connect::ConnectorStatus> statuses;
    std::vector<std::string> calls;

    std::string kafka_cluster_id() override { return "cluster-1"; }
    std::vector<std::string> connector_names() override {
        std::vector<std::string> out;
        for (const auto& [n, c] : configs) {
            out.push_back(n);
        }
        return out;
    }
    std::optional<connect::ConnectorInfo> connector_info(const std::string& name) override {
        if (configs.count(name) == 0) {
            return std::nullopt;
        }
        const int tasks = statuses.count(name) ? static_cast<int>(statuses[name].tasks.size()) : 0;
        return connect::ConnectorInfo{name, configs[name], tasks, "source"};
    }
    std::optional<connect::ConnectorStatus> connector_status(const std::string& name) override {
        if (configs.count(name) == 0) {
            return std::nullopt;
        }
        if (statuses.count(name) == 0) {
            return connect::ConnectorStatus{name, "UNASSIGNED", "w1:8083", "", {}, "source"};
        }
        return statuses[name];
    }
    bool put_connector_config(const std::string& name, const ConnectorConfig& config,
                              std::optional<connect::TargetState>) override {
        const bool created = configs.count(name) == 0;
        configs[name] = config;
        calls.push_back("put " + name);
        return created;
    }
    void delete_connector(const std::string& name) override {
        if (configs.erase(name) == 0) {
            throw connect::RestError(404, "Connector " + name + " not found");
        }
        calls.push_back("delete " + name);
    }
    void set_target_state(const std::string& name, connect::TargetState s) override {
        if (configs.count(name) == 0) {
            throw connect::RestError(404, "Connector " + name + " not found");
        }
        states[name] = s;
        calls.push_back("state " + name);
    }
    void restart_connector(const std::string& name, bool, bool) override {
        calls.push_back("restart " + name);
    }
    void restart_task(const std::string& name, int task) override {
        calls.push_back("restart " + name + "-" + std::to_string(task));
    }
    std::vector<connect::SourceOffset> offsets(const std::string&) override {
        return {{"msksource", "ExampleTopic", 0, 42}};
    }
};

const char* kMsc = R"({
  "name": "mm2-msc",
  "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
  "replication.policy.class":"com.amazonaws.kafka.samples.CustomMM2ReplicationPolicy",
  "clusters": "msksource,mskdest",
  "source.cluster.alias": "msksource",
  "target.cluster.alias": "mskdest",
  "target.cluster.bootstrap.servers": "t:9092",
  "source.cluster.bootstrap.servers": "s:9092",
  "topics": "^ExampleTopic[\\w]*",
  "tasks.max": "4",
  "key.converter": " org.apache.kafka.connect.converters.ByteArrayConverter",
  "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
  "source.cluster.sasl.jaas.config": "secret stuff",
  "producer.override.batch.size" : "52428"
})";

struct RestApi : ::testing::Test {
    FakeHerder herder;
    ConnectRest api{herder, "0.1.0", "abc"};

    http::Response call(const std::string& method, const std::string& path,
                        const std::string& body = "",
                        std::map<std::string, std::string> params = {}) {
        return api.handle(http::Request{method, path, std::move(params), body});
    }
    static Json body(const http::Response& r) { return Json::parse(r.body); }
};

TEST_F(RestApi, RootReportsVersionCommitAndClusterId) {
    auto r = call("GET", "/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"version":"0.1.0","commit":"abc","kafka_cluster_id":"cluster-1"})");
}

TEST_F(RestApi, PutConfigCreatesWith201ThenUpdatesWith200AndMasksSecrets) {
    auto r = call("PUT", "/connectors/mm2-msc/config", kMsc);
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].second, "/connectors/mm2-msc");
    auto j = body(r);
    EXPECT_EQ(j["name"], "mm2-msc");
    EXPECT_EQ(j["type"], "source");
    EXPECT_EQ(j["tasks"], Json::array());
    EXPECT_EQ(j["config"]["source.cluster.sasl.jaas.config"], "[hidden]");
    EXPECT_EQ(j["config"]["topics"], "^ExampleTopic[\\w]*");
    EXPECT_EQ(herder.configs["mm2-msc"]["source.cluster.sasl.jaas.config"], "secret stuff");
    auto again = call("PUT", "/connectors/mm2-msc/config", kMsc);
    EXPECT_EQ(again.status, 200);
    EXPECT_TRUE(again.headers.empty());
}

TEST_F(RestApi, ShortClassNamesAreAccepted) {
    auto cfg = Json::parse(kMsc);
    cfg["connector.class"] = "MirrorSourceConnector";
    EXPECT_EQ(call("PUT", "/connectors/mm2-msc/config", cfg.dump()).status, 201);
    cfg["connector.class"] = "MirrorSource";
    EXPECT_EQ(call("PUT", "/connectors/mm2-msc/config", cfg.dump()).status, 200);
}

TEST_F(RestApi, BadRequestsAre4xxWithConnectErrorBodyAndStoreNothing) {
    auto invalid = call("PUT", "/connectors/x/config", "{not json");
    EXPECT_EQ(invalid.status, 400);
    EXPECT_EQ(body(invalid)["error_code"], 400);
    EXPECT_NE(body(invalid)["message"].get<std::string>().find("Invalid JSON"), std::string::npos);

    auto cfg = Json::parse(kMsc);
    cfg["connector.class"] = "com.example.Nope";
    auto unknown = call("PUT", "/connectors/mm2-msc/config", cfg.dump());
    EXPECT_EQ(unknown.status, 400);
    EXPECT_NE(body(unknown)["message"].get<std::string>().find("com.example.Nope"),
              std::string::npos);

    cfg = Json::parse(kMsc);
    cfg.erase("source.cluster.bootstrap.servers");
    auto missing = call("PUT", "/connectors/mm2-msc/config", cfg.dump());
    EXPECT_EQ(missing.status, 400);
    EXPECT_NE(body(missing)["message"].get<std::string>().find("source.cluster.bootstrap.servers"),
              std::string::npos);
    EXPECT_EQ(body(missing)["message"].get<std::string>().rfind(
                  "Connector configuration is invalid and contains the following 1 error(s):", 0),
              0u);

    auto mismatch = call("PUT", "/connectors/other/config", kMsc);
    EXPECT_EQ(mismatch.status, 400);
    EXPECT_EQ(body(mismatch)["message"],
              "Connector name configuration (mm2-msc) doesn't match connector name in the URL "
              "(other)");
    EXPECT_TRUE(herder.configs.empty());
    EXPECT_TRUE(herder.calls.empty());
}

TEST_F(RestApi, StatusHasConnectShapeAndTraceOnlyWhenFailed) {
    herder.configs["mm2-msc"] = {};
    herder.statuses["mm2-msc"] = connect::ConnectorStatus{
        "mm2-msc",
        "RUNNING",
        "10.0.0.1:8083",
        "",
        {{0, "RUNNING", "10.0.0.1:8083", ""}, {1, "FAILED", "10.0.0.2:8083", "boom"}},
        "source"};
    auto r = call("GET", "/connectors/mm2-msc/status");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body,
              R"({"name":"mm2-msc","connector":{"state":"RUNNING","worker_id":"10.0.0.1:8083"},)"
              R"("tasks":[{"id":0,"state":"RUNNING","worker_id":"10.0.0.1:8083"},)"
              R"({"id":1,"state":"FAILED","worker_id":"10.0.0.2:8083","trace":"boom"}],)"
              R"("type":"source"})");
    auto t = call("GET", "/connectors/mm2-msc/tasks/1/status");
    EXPECT_EQ(t.body, R"({"id":1,"state":"FAILED","worker_id":"10.0.0.2:8083","trace":"boom"})");
    EXPECT_EQ(call("GET", "/connectors/mm2-msc/tasks/7/status").status, 404);
    auto missing = call("GET", "/connectors/nope/status");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, R"({"error_code":404,"message":"No status found for connector nope"})");
}

TEST_F(RestApi, ListsAndExpands) {
    herder.configs["a"] = {{"connector.class", "MirrorHeartbeatConnector"}, {"name", "a"}};
    herder.configs["b"] = {{"name", "b"}};
    EXPECT_EQ(call("GET", "/connectors").body, R"(["a","b"])");
    auto s = body(call("GET", "/connectors", "", {{"expand", "status"}}));
    EXPECT_EQ(s["a"]["status"]["connector"]["state"], "UNASSIGNED");
    EXPECT_FALSE(s["a"].contains("info"));
    auto i = body(call("GET", "/connectors", "", {{"expand", "info"}}));
    auto both = body(call("GET", "/connectors", "", {{"expand", "status,info"}}));
    EXPECT_TRUE(both["a"].contains("status"));
    EXPECT_TRUE(both["a"].contains("info"));
    EXPECT_EQ(i["b"]["info"],
              Json::parse(R"({"name":"b","config":{"name":"b"},"tasks":[],"type":"source"})"));
}

TEST_F(RestApi, InfoConfigAndTasks) {
    herder.configs["a"] = {{"name", "a"}, {"ssl.key.password", "x"}};
    herder.statuses["a"] = {"a", "RUNNING", "w", "", {{0, "RUNNING", "w", ""}}, "source"};
    EXPECT_EQ(call("GET", "/connectors/a").body,
              R"({"name":"a","config":{"name":"a","ssl.key.password":"[hidden]"},)"
              R"("tasks":[{"connector":"a","task":0}],"type":"source"})");
    EXPECT_EQ(call("GET", "/connectors/a/config").body,
              R"({"name":"a","ssl.key.password":"[hidden]"})");
    EXPECT_EQ(call("GET", "/connectors/a/tasks").body,
              R"([{"id":{"connector":"a","task":0},"config":{"name":"a",)"
              R"("ssl.key.password":"[hidden]","task.index":"0"}}])");
    EXPECT_EQ(call("GET", "/connectors/zzz").body,
              R"({"error_code":404,"message":"Connector zzz not found"})");
}

TEST_F(RestApi, PostCreatesAnd409WhenExisting) {
    Json req{{"name", "mm2-msc"}, {"config", Json::parse(kMsc)}};
    auto r = call("POST", "/connectors", req.dump());
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(body(r)["name"], "mm2-msc");
    auto again = call("POST", "/connectors", req.dump());
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.body, R"({"error_code":409,"message":"Connector mm2-msc already exists"})");
}

TEST_F(RestApi, LifecycleEndpointsReturnConnectCodes) {
    herder.configs["a"] = {{"name", "a"}};
    herder.statuses["a"] = {"a", "RUNNING", "w", "", {{0, "FAILED", "w", "t"}}, "source"};
    EXPECT_EQ(call("PUT", "/connectors/a/pause").status, 202);
    EXPECT_EQ(call("PUT", "/connectors/a/resume").status, 202);
    EXPECT_EQ(call("PUT", "/connectors/a/stop").status, 204);
    EXPECT_EQ(call("POST", "/connectors/a/restart").status, 204);
    auto r = call("POST", "/connectors/a/restart", "", {{"includeTasks", "true"}});
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.body, R"({"name":"a","connector":{"state":"RESTARTING","worker_id":"w"},)"
                      R"("tasks":[{"id":0,"state":"RESTARTING","worker_id":"w","trace":"t"}],)"
                      R"("type":"source"})");
    EXPECT_EQ(call("POST", "/connectors/a/tasks/0/restart").status, 204);
    EXPECT_EQ(call("PUT", "/connectors/nope/pause").status, 404);
    EXPECT_EQ(call("GET", "/connectors/a/offsets").body,
              R"({"offsets":[{"partition":{"cluster":"msksource","partition":0,)"
              R"("topic":"ExampleTopic"},"offset":{"offset":42}}]})");
    EXPECT_EQ(call("DELETE", "/connectors/a").status, 204);
    EXPECT_EQ(call("DELETE", "/connectors/a").status, 404);
}

TEST_F(RestApi, PluginsAndValidate) {
    auto r = call("GET", "/connector-plugins");
    EXPECT_EQ(r.body, R"([{"class":"org.apache.kafka.connect.mirror.MirrorCheckpointConnector",)"
                      R"("type":"source","version":"3.7.0"},)"
                      R"({"class":"org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",)"
                      R"("type":"source","version":"3.7.0"},)"
                      R"({"class":"org.apache.kafka.connect.mirror.MirrorSourceConnector",)"
                      R"("type":"source","version":"3.7.0"}])");
    auto ok = body(call("PUT", "/connector-plugins/MirrorSourceConnector/config/validate", kMsc));
    EXPECT_EQ(ok["name"], "org.apache.kafka.connect.mirror.MirrorSourceConnector");
    EXPECT_EQ(ok["error_count"], 0);
    EXPECT_EQ(ok["groups"], Json::array({"Common"}));
    EXPECT_EQ(ok["configs"][0]["value"]["errors"], Json::array());
    EXPECT_TRUE(ok["configs"][0]["definition"].contains("order"));
    auto cfg = Json::parse(kMsc);
    cfg.erase("target.cluster.bootstrap.servers");
    auto bad =
        body(call("PUT", "/connector-plugins/MirrorSourceConnector/config/validate", cfg.dump()));
    EXPECT_EQ(bad["error_count"], 1);
    EXPECT_EQ(call("PUT", "/connector-plugins/Nope/config/validate", kMsc).status, 404);
}

TEST(ClusterStatus, OneTaskPerLiveWorkerAndSingletonsShowTheLeader) {
    std::vector<connect::WorkerReport> live = {
        {"a:1", 0, {{"msc", {"RUNNING", "", false, false}}, {"hbc", {"RUNNING", "", false, true}}}},
        {"b:1", 0, {{"msc", {"FAILED", "x", false, false}}, {"hbc", {"RUNNING", "", true, true}}}},
    };
    auto msc = connect::aggregate_status("msc", connect::TargetState::started, live, "a:1");
    ASSERT_EQ(msc.tasks.size(), 2u);
    EXPECT_EQ(msc.state, "RUNNING");
    EXPECT_EQ(msc.tasks[1].worker_id, "b:1");
    EXPECT_EQ(msc.tasks[1].trace, "x");
    auto hbc = connect::aggregate_status("hbc", connect::TargetState::started, live, "a:1");
    ASSERT_EQ(hbc.tasks.size(), 1u);
    EXPECT_EQ(hbc.tasks[0].worker_id, "b:1");
    EXPECT_EQ(hbc.tasks[0].state, "RUNNING");
    auto stopped = connect::aggregate_status("msc", connect::TargetState::stopped, live, "a:1");
    EXPECT_EQ(stopped.state, "STOPPED");
    EXPECT_TRUE(stopped.tasks.empty());
    EXPECT_EQ(connect::task_index("msc", live, "b:1"), 1);
    auto round = connect::worker_report_from_json(connect::to_json(live[1]));
    ASSERT_TRUE(round.has_value());
    EXPECT_TRUE(round->connectors.at("hbc").leader);
}

TEST(WorkerConfig, ReadsTheSeedWorkerFiles) {
    auto props = Properties::load_file(
        KMIRROR_SOURCE_DIR "/tests/fixtures/connect/connect-distributed-sasl.properties");
    ASSERT_TRUE(props.ok()) << props.error().message;
    auto w = connect::parse_worker_config(*props);
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_EQ(w->bootstrap_servers, "BROKERS");
    EXPECT_EQ(w->config_topic, "connect-configs-GROUP");
    EXPECT_EQ(w->status_replication_factor, 3);
    EXPECT_EQ(w->listen_port, 8083);
    EXPECT_EQ(w->producer.get("security.protocol"), "SASL_SSL");
    EXPECT_EQ(w->producer.get("sasl.mechanism"), "SCRAM-SHA-512");
    EXPECT_EQ(w->consumer.get("security.protocol"), "SASL_SSL");
    bool converter_noted = false;
    for (const auto& n : w->notes) {
        converter_noted = converter_noted || n.find("'key.converter'") != std::string::npos;
    }
    EXPECT_TRUE(converter_noted);
    auto listeners = Properties::parse("bootstrap.servers=b\ngroup.id=g\nconfig.storage.topic=c\n"
                                       "status.storage.topic=s\noffset.storage.topic=o\n"
                                       "listeners=http://127.0.0.1:0\n");
    auto l = connect::parse_worker_config(*listeners);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->listen_host, "127.0.0.1");
    EXPECT_EQ(l->listen_port, 0);
    auto missing = Properties::parse("bootstrap.servers=b\n");
    EXPECT_FALSE(connect::parse_worker_config(*missing).ok());
}

} // namespace
} // namespace kmirror::rest
