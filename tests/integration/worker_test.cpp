// `kmirror worker` against real brokers over real HTTP: the seed's curl sequence (PUT the
// no-auth mm2-msc / mm2-cpc / mm2-hbc JSON files, GET their status) on a cluster of workers,
// data arriving on the target, a worker killed with SIGKILL, all workers restarted from the
// storage topics, bad requests refused with nothing stored, DELETE stopping the work.
#include "kafka/admin.h"
#include "support/testbed.h"
#include "support/worker_process.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// A seed connector JSON with only what the issue allows changed: broker placeholders filled,
// replication factors 1 for the single-node bed, and the topic regex narrowed to this test.
std::string seed_connector(const std::string& file, const std::string& topic_regex) {
    auto text = read_text_file(std::string(KMIRROR_SOURCE_DIR) + "/tests/fixtures/connect/" + file);
    text = std::regex_replace(text, std::regex(R"(\{TARGET CLUSTER BROKERS ADDRESS\})"),
                              target_cluster().plaintext);
    text = std::regex_replace(text, std::regex(R"(\{SOURCE CLUSTER BROKERS ADDRESS\})"),
                              source_cluster().plaintext);
    auto j = Json::parse(text);
    for (auto& [k, v] : j.items()) {
        if (k.find("replication.factor") != std::string::npos) {
            v = "1";
        }
    }
    if (j.contains("topics")) {
        j["topics"] = topic_regex;
    }
    j["admin.timeout.ms"] = "20000";
    j["refresh.topics.interval.seconds"] = "2";
    return j.dump();
}

// A name made of word characters only (the seed's regex is ^ExampleTopic[\w]*).
std::string word_name(const std::string& prefix) {
    auto n = unique_name(prefix);
    for (auto& c : n) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            c = '_';
        }
    }
    return n;
}

using Worker = WorkerProcess;

std::string worker_file(const std::string& group) {
    return seed_worker_file(group);
}

// Connector RUNNING and `tasks` tasks, all RUNNING, in Connect's shape.
bool running(Worker& w, const std::string& name, size_t tasks) {
    auto r = rest_call(w, "GET", "/connectors/" + name + "/status");
    if (r.status != 200 || r.body["connector"]["state"] != "RUNNING" ||
        r.body["tasks"].size() != tasks || r.body["name"] != name || r.body["type"] != "source") {
        return false;
    }
    for (const auto& t : r.body["tasks"]) {
        if (t["state"] != "RUNNING" || !t.contains("worker_id") || !t.contains("id")) {
            return false;
        }
    }
    return true;
}

std::vector<TestRecord> target_records(const std::string& topic) {
    try {
        return consume_all(plaintext_settings(target_cluster()), topic, 10s);
    } catch (const std::exception&) {
        return {};
    }
}

// Nothing lost: every expected record is on the target, in the same partition with the same
// key, value, headers and timestamp. (A worker killed with SIGKILL may leave records it copied
// after its last progress commit to be copied again: at-least-once, so duplicates are allowed.)
std::string missing_records(const std::vector<TestRecord>& expected,
                            const std::vector<TestRecord>& got) {
    auto strip = [](TestRecord r) {
        r.offset = -1;
        return r;
    };
    std::vector<TestRecord> have;
    for (const auto& r : got) {
        have.push_back(strip(r));
    }
    size_t missing = 0;
    std::string first;
    for (const auto& r : expected) {
        if (std::find(have.begin(), have.end(), strip(r)) == have.end()) {
            if (missing++ == 0) {
                std::ostringstream out;
                out << r;
                first = out.str();
            }
        }
    }
    return missing == 0 ? std::string()
                        : std::to_string(missing) + " of " + std::to_string(expected.size()) +
                              " records missing on the target, first: " + first;
}

std::string dump(Worker& w, const std::string& name) {
    return rest_call(w, "GET", "/connectors/" + name + "/status").body.dump();
}

TEST(Worker, SeedCurlSequenceOnThreeWorkersReplicatesAndReportsRunning) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = word_name("ExampleTopic");
    create_topic(src, topic, 3);
    const auto records = produce(src, topic, make_records(300, 3, "worker-seed"));

    // A consumer group on the source that consumed part of the topic: its offsets must reach
    // the target as MM2 checkpoints (mm2-cpc).
    const std::string group = unique_name("seed-consumer");
    {
        auto admin = kafka::Admin::create(kafka::ClientSpec{"source", "test-admin", src});
        ASSERT_TRUE(admin.ok());
        kafka::GroupOffsets committed;
        for (int32_t p = 0; p < 3; ++p) {
            committed[{topic, p}] = kafka::CommittedOffset{50, ""};
        }
        // Retried: on a fresh bed the group coordinator may still be loading.
        std::string error;
        ASSERT_TRUE(eventually(
            [&] {
                auto st = admin->alter_consumer_group_offsets(group, committed, 10s);
                error = st.ok() ? "" : st.error().message;
                return st.ok();
            },
            30s))
            << error;
    }

    const auto file = worker_file(unique_name("connect"));
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < 3; ++i) {
        workers.push_back(std::make_unique<Worker>(file));
    }
    auto& w0 = *workers[0];
    // The seed's three PUTs, each answered 201 with Connect's ConnectorInfo.
    for (const auto& [name, json] :
         std::vector<std::pair<std::string, std::string>>{{"mm2-msc", "mm2-msc-no-auth.json"},
                                                          {"mm2-cpc", "mm2-cpc-no-auth.json"},
                                                          {"mm2-hbc", "mm2-hbc-no-auth.json"}}) {
        auto r =
            rest_call(w0, "PUT", "/connectors/" + name + "/config", seed_connector(json, topic));
        ASSERT_EQ(r.status, 201) << r.body.dump();
        EXPECT_EQ(r.body["name"], name);
        EXPECT_EQ(r.body["type"], "source");
        EXPECT_TRUE(r.body["config"].contains("connector.class"));
    }
    // Any worker answers for the cluster.
    EXPECT_TRUE(eventually([&] { return running(*workers[2], "mm2-msc", 3); }, 90s))
        << dump(*workers[2], "mm2-msc");
    EXPECT_TRUE(eventually([&] { return running(*workers[1], "mm2-cpc", 1); }, 60s))
        << dump(*workers[1], "mm2-cpc");
    EXPECT_TRUE(eventually([&] { return running(w0, "mm2-hbc", 1); }, 60s)) << dump(w0, "mm2-hbc");
    auto status = rest_call(w0, "GET", "/connectors/mm2-msc/status").body;
    std::set<std::string> ids;
    for (const auto& t : status["tasks"]) {
        ids.insert(t["worker_id"].get<std::string>());
    }
    EXPECT_EQ(ids, (std::set<std::string>{workers[0]->id(), workers[1]->id(), workers[2]->id()}));

    std::vector<TestRecord> got;
    EXPECT_TRUE(eventually([&] { return (got = target_records(topic)) == records; }, 90s))
        << describe_difference(records, got);
    EXPECT_TRUE(eventually([&] { return !target_records("heartbeats").empty(); }, 60s));
    EXPECT_TRUE(eventually(
        [&] {
            for (const auto& r : target_records("msksource.checkpoints.internal")) {
                if (r.key && r.key->find(group) != std::string::npos) {
                    return true;
                }
            }
            return false;
        },
        90s))
        << "no checkpoint of group " << group << " on the target";
    auto expanded = rest_call(*workers[2], "GET", "/connectors?expand=status&expand=info");
    EXPECT_EQ(expanded.body["mm2-hbc"]["status"]["connector"]["state"], "RUNNING");
    EXPECT_EQ(expanded.body["mm2-hbc"]["info"]["config"]["connector.class"],
              "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector");
    auto list = rest_call(*workers[1], "GET", "/connectors");
    EXPECT_EQ(list.body, Json::parse(R"(["mm2-cpc","mm2-hbc","mm2-msc"])"));
}

TEST(Worker, KilledWorkerLosesNothingAndRestartedWorkersResumeFromTheConfigTopic) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = word_name("ExampleTopic");
    create_topic(src, topic, 4);
    auto expected = produce(src, topic, make_records(200, 4, "worker-kill-1"));
    const auto file = worker_file(unique_name("connect"));
    auto a = std::make_unique<Worker>(file);
    auto b = std::make_unique<Worker>(file);
    ASSERT_EQ(rest_call(*a, "PUT", "/connectors/mm2-msc/config",
                        seed_connector("mm2-msc-no-auth.json", topic))
                  .status,
              201);
    ASSERT_TRUE(eventually([&] { return running(*b, "mm2-msc", 2); }, 90s)) << dump(*b, "mm2-msc");
    std::vector<TestRecord> got;
    ASSERT_TRUE(eventually([&] { return (got = target_records(topic)) == expected; }, 90s))
        << describe_difference(expected, got);

    b->proc->signal(SIGKILL);
    ASSERT_TRUE(b->proc->wait_for(10s).has_value());
    // Statuses update: the dead worker's task disappears.
    EXPECT_TRUE(eventually([&] { return running(*a, "mm2-msc", 1); }, 30s)) << dump(*a, "mm2-msc");
    auto more = produce(src, topic, make_records(200, 4, "worker-kill-2"));
    for (const auto& r : more) {
        expected.push_back(r);
    }
    std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) {
        return std::tie(x.partition, x.offset) < std::tie(y.partition, y.offset);
    });
    std::string lost;
    EXPECT_TRUE(eventually(
        [&] { return (lost = missing_records(expected, target_records(topic))).empty(); }, 30s))
        << lost;

    // Restart everything: the connector comes back from the config topic.
    a->proc->signal(SIGTERM);
    ASSERT_TRUE(a->proc->wait_for(30s).has_value());
    a.reset();
    b.reset();
    Worker c(file);
    Worker d(file);
    EXPECT_EQ(rest_call(d, "GET", "/connectors").body, Json::parse(R"(["mm2-msc"])"));
    EXPECT_TRUE(eventually([&] { return running(c, "mm2-msc", 2); }, 90s)) << dump(c, "mm2-msc");
    auto last = produce(src, topic, make_records(100, 4, "worker-kill-3"));
    for (const auto& r : last) {
        expected.push_back(r);
    }
    std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) {
        return std::tie(x.partition, x.offset) < std::tie(y.partition, y.offset);
    });
    EXPECT_TRUE(eventually(
        [&] { return (lost = missing_records(expected, target_records(topic))).empty(); }, 90s))
        << lost;
}

TEST(Worker, BadRequestsStoreNothingAndDeleteStopsTheWork) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = word_name("ExampleTopic");
    create_topic(src, topic, 2);
    const std::string group = unique_name("connect");
    Worker w(worker_file(group));

    auto invalid = rest_call(w, "PUT", "/connectors/mm2-msc/config", "{\"name\": ");
    EXPECT_EQ(invalid.status, 400);
    EXPECT_EQ(invalid.body["error_code"], 400);
    auto cfg = Json::parse(seed_connector("mm2-msc-no-auth.json", topic));
    auto unknown = cfg;
    unknown["connector.class"] = "org.example.NoSuchConnector";
    auto r = rest_call(w, "PUT", "/connectors/mm2-msc/config", unknown.dump());
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body["message"].get<std::string>().find("org.example.NoSuchConnector"),
              std::string::npos);
    auto missing = cfg;
    missing.erase("source.cluster.bootstrap.servers");
    r = rest_call(w, "PUT", "/connectors/mm2-msc/config", missing.dump());
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body["message"].get<std::string>().find("source.cluster.bootstrap.servers"),
              std::string::npos);
    EXPECT_EQ(rest_call(w, "GET", "/connectors").body, Json::array());
    EXPECT_EQ(rest_call(w, "GET", "/connectors/mm2-msc/status").status, 404);

    ASSERT_EQ(rest_call(w, "PUT", "/connectors/mm2-msc/config", cfg.dump()).status, 201);
    ASSERT_TRUE(eventually([&] { return running(w, "mm2-msc", 1); }, 90s)) << dump(w, "mm2-msc");
    EXPECT_EQ(rest_call(w, "PUT", "/connectors/mm2-msc/config", cfg.dump()).status, 200);
    auto admin = kafka::Admin::create(
        kafka::ClientSpec{"target", "test-admin", plaintext_settings(target_cluster())});
    ASSERT_TRUE(admin.ok());
    const std::string progress = "kmirror-" + group + "-mm2-msc";
    auto members = [&] {
        auto d = admin->describe_consumer_groups({progress}, 10s);
        return d.ok() && d->count(progress) != 0 ? static_cast<int>(d->at(progress).members) : -1;
    };
    // The connector's replication joins its progress group on the target...
    ASSERT_TRUE(eventually([&] { return members() >= 1; }, 30s));
    EXPECT_EQ(rest_call(w, "DELETE", "/connectors/mm2-msc").status, 204);
    EXPECT_EQ(rest_call(w, "GET", "/connectors/mm2-msc/status").status, 404);
    EXPECT_EQ(rest_call(w, "GET", "/connectors").body, Json::array());
    // ...and leaves it when DELETE stops the work.
    EXPECT_TRUE(eventually([&] { return members() == 0; }, 30s));
}

// State of the connector and of every task (empty `task_state`: no tasks).
bool states(Worker& w, const std::string& name, const std::string& connector_state,
            const std::string& task_state) {
    auto r = rest_call(w, "GET", "/connectors/" + name + "/status");
    if (r.status != 200 || r.body["connector"]["state"] != connector_state) {
        return false;
    }
    if (task_state.empty()) {
        return r.body["tasks"].empty();
    }
    if (r.body["tasks"].empty()) {
        return false;
    }
    for (const auto& t : r.body["tasks"]) {
        if (t["state"] != task_state) {
            return false;
        }
    }
    return true;
}

TEST(Worker, ConfigChangePauseResumeStopOffsetsAndFailedStatus) {
    const auto src = plaintext_settings(source_cluster());
    const std::string first = word_name("ExampleTopic");
    const std::string second = word_name("ExampleTopic");
    create_topic(src, first, 2);
    create_topic(src, second, 2);
    const auto first_records = produce(src, first, make_records(100, 2, "worker-cfg-1"));
    const auto second_records = produce(src, second, make_records(100, 2, "worker-cfg-2"));
    Worker w(worker_file(unique_name("connect")));

    ASSERT_EQ(rest_call(w, "PUT", "/connectors/mm2-msc/config",
                        seed_connector("mm2-msc-no-auth.json", first))
                  .status,
              201);
    std::string lost;
    ASSERT_TRUE(eventually(
        [&] { return (lost = missing_records(first_records, target_records(first))).empty(); },
        90s))
        << lost;
    // GET offsets: MM2's shape, the last replicated source offset of each partition.
    std::map<int, int64_t> last;
    for (const auto& r : first_records) {
        last[r.partition] = std::max(last[r.partition], r.offset);
    }
    Json offsets;
    EXPECT_TRUE(eventually(
        [&] {
            offsets = rest_call(w, "GET", "/connectors/mm2-msc/offsets").body;
            if (!offsets.contains("offsets")) {
                return false;
            }
            // The source's `heartbeats` topic is replicated too whenever another test created
            // it (heartbeats.replication.enabled, MM2's default): not this test's business.
            Json mine = Json::array();
            for (const auto& o : offsets["offsets"]) {
                if (o["partition"]["topic"] != "heartbeats") {
                    mine.push_back(o);
                }
            }
            if (mine.size() != last.size()) {
                return false;
            }
            for (const auto& o : mine) {
                if (o["partition"]["cluster"] != "msksource" || o["partition"]["topic"] != first ||
                    o["offset"]["offset"] != last[o["partition"]["partition"].get<int>()]) {
                    return false;
                }
            }
            return true;
        },
        30s))
        << offsets.dump();

    // A new topics regex applies without restarting the worker.
    auto cfg = Json::parse(seed_connector("mm2-msc-no-auth.json", first));
    cfg["topics"] = first + "|" + second;
    auto updated = rest_call(w, "PUT", "/connectors/mm2-msc/config", cfg.dump());
    EXPECT_EQ(updated.status, 200);
    EXPECT_EQ(updated.body["config"]["topics"], first + "|" + second);
    EXPECT_TRUE(eventually(
        [&] { return (lost = missing_records(second_records, target_records(second))).empty(); },
        90s))
        << lost;

    EXPECT_EQ(rest_call(w, "PUT", "/connectors/mm2-msc/pause").status, 202);
    EXPECT_TRUE(eventually([&] { return states(w, "mm2-msc", "PAUSED", "PAUSED"); }, 30s))
        << dump(w, "mm2-msc");
    EXPECT_EQ(rest_call(w, "PUT", "/connectors/mm2-msc/resume").status, 202);
    EXPECT_TRUE(eventually([&] { return running(w, "mm2-msc", 1); }, 60s)) << dump(w, "mm2-msc");
    EXPECT_EQ(rest_call(w, "PUT", "/connectors/mm2-msc/stop").status, 204);
    EXPECT_TRUE(eventually([&] { return states(w, "mm2-msc", "STOPPED", ""); }, 30s))
        << dump(w, "mm2-msc");
    EXPECT_EQ(rest_call(w, "GET", "/connectors/mm2-msc").body["tasks"], Json::array());

    // A connector whose source cluster cannot be reached: FAILED with the error as trace.
    auto bad = Json::parse(seed_connector("mm2-msc-no-auth.json", first));
    bad["source.cluster.bootstrap.servers"] = "127.0.0.1:1";
    bad["admin.timeout.ms"] = "2000";
    bad["name"] = "mm2-unreachable";
    ASSERT_EQ(rest_call(w, "PUT", "/connectors/mm2-unreachable/config", bad.dump()).status, 201);
    Json failed;
    EXPECT_TRUE(eventually(
        [&] {
            failed = rest_call(w, "GET", "/connectors/mm2-unreachable/tasks/0/status").body;
            return failed.value("state", "") == "FAILED" &&
                   failed.value("trace", "").find("msksource") != std::string::npos;
        },
        60s))
        << failed.dump();
    auto restart = rest_call(
        w, "POST", "/connectors/mm2-unreachable/restart?includeTasks=true&onlyFailed=true");
    EXPECT_EQ(restart.status, 202);
    EXPECT_EQ(restart.body["tasks"][0]["state"], "RESTARTING");
}

} // namespace
// The container image starts `kmirror worker` on a worker file with ${VAR} references (what the
// seed's start script fills in with sed): they are resolved from the environment, defaults
// apply, and a missing variable is one clear error naming it.
TEST(Worker, WorkerFileResolvesEnvironmentVariables) {
    const std::string path = "/tmp/" + unique_name("connect-env") + ".properties";
    {
        std::ofstream out(path);
        out << "bootstrap.servers=${KMIRROR_TEST_WORKER_BROKERS}\n"
            << "group.id=${KMIRROR_TEST_WORKER_GROUP}\n"
            << "config.storage.topic=${KMIRROR_TEST_WORKER_GROUP}-configs\n"
            << "offset.storage.topic=${KMIRROR_TEST_WORKER_GROUP}-offsets\n"
            << "status.storage.topic=${KMIRROR_TEST_WORKER_GROUP}-status\n"
            << "config.storage.replication.factor=${KMIRROR_TEST_UNSET_RF:-1}\n"
            << "offset.storage.replication.factor=${KMIRROR_TEST_UNSET_RF:-1}\n"
            << "status.storage.replication.factor=${KMIRROR_TEST_UNSET_RF:-1}\n"
            << "listeners=http://127.0.0.1:0\nrest.advertised.host.name=127.0.0.1\n";
    }
    const std::string group = unique_name("connect-env");
    {
        Worker w(path, {{"KMIRROR_TEST_WORKER_BROKERS", target_cluster().plaintext},
                        {"KMIRROR_TEST_WORKER_GROUP", group}});
        auto root = rest_call(w, "GET", "/");
        EXPECT_EQ(root.status, 200) << w.proc->log();
        EXPECT_TRUE(
            eventually([&] { return rest_call(w, "GET", "/connectors").status == 200; }, 30s));
    }
    ChildProcess missing(KMIRROR_BINARY, {"worker", path}, {{"KMIRROR_TEST_WORKER_GROUP", group}});
    EXPECT_EQ(missing.wait_for(30s), std::optional<int>(2)) << missing.log();
    EXPECT_NE(missing.log().find("KMIRROR_TEST_WORKER_BROKERS"), std::string::npos)
        << missing.log();
    std::remove(path.c_str());
}

} // namespace kmirror::testing
