// The migration tools against real brokers:
//   * `kmirror verify`: after kmirror copied a topic every record is found; on a target topic
//     written by hand, each kind of difference is reported where it is and the exit code says
//     the copy is incomplete;
//   * `kmirror cutover`: a stopped group is committed on the target at its exact position, once,
//     and a group whose position is not replicated yet is blocked.
#include "kafka/admin.h"
#include "support/kafka_ops.h"
#include "support/testbed.h"

#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;

std::string write_mm2(const Aliases& a, const std::string& topics) {
    const std::string path = "/tmp/" + unique_name("mm2-verify") + ".properties";
    std::ofstream out(path);
    out << "clusters = " << a.source << ", " << a.target << "\n"
        << a.source << ".bootstrap.servers = " << source_cluster().plaintext << "\n"
        << a.target << ".bootstrap.servers = " << target_cluster().plaintext << "\n"
        << a.source << "->" << a.target << ".enabled = true\n"
        << a.source << "->" << a.target << ".topics = " << topics << "\n"
        << "replication.factor = 1\n"
        << "offset-syncs.topic.replication.factor = 1\n"
        << "checkpoints.topic.replication.factor = 1\n"
        << "heartbeats.topic.replication.factor = 1\n"
        << "sync.topic.acls.enabled = false\n"
        << "admin.timeout.ms = 10000\n"
        << "kmirror.progress.group.id = " << unique_name("kmirror-progress") << "\n";
    return path;
}

// A connector's JSON file for the same flow, as the seed PUTs it to the Connect REST API (flat),
// or as POSTed to /connectors ({"name", "config"}) when `nested`.
std::string write_connector_json(const Aliases& a, const std::string& connector_class,
                                 const std::string& topics, bool nested) {
    const std::string path = "/tmp/" + unique_name("connector") + ".json";
    std::ostringstream config;
    config << "{\"connector.class\": \"" << connector_class << "\", "
           << "\"source.cluster.alias\": \"" << a.source << "\", "
           << "\"target.cluster.alias\": \"" << a.target << "\", "
           << "\"source.cluster.bootstrap.servers\": \"" << source_cluster().plaintext << "\", "
           << "\"target.cluster.bootstrap.servers\": \"" << target_cluster().plaintext << "\", "
           << "\"topics\": \"" << topics << "\", \"tasks.max\": 1, "
           << "\"replication.factor\": \"1\", \"admin.timeout.ms\": \"10000\"}";
    std::ofstream out(path);
    if (nested) {
        out << "{\"name\": \"mm2-tool\", \"config\": " << config.str() << "}\n";
    } else {
        out << config.str() << "\n";
    }
    return path;
}

// The words of the table row of `topic`-`partition` in `kmirror verify`'s output (11 words:
// flow first) or `kmirror cutover`'s (8 words: topic first).
std::vector<std::string> row_of(const std::string& output, const std::string& topic, int partition,
                                size_t words_in_row = 11) {
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string s; words >> s;) {
            w.push_back(s);
        }
        const size_t at = words_in_row == 11 ? 1 : 0; // the topic's column
        if (w.size() == words_in_row && w[at] == topic && w[at + 1] == std::to_string(partition)) {
            return w;
        }
    }
    return {};
}

struct Ran {
    std::optional<int> exit_code;
    std::string output;
};

Ran run_kmirror(const std::vector<std::string>& args) {
    ChildProcess proc(KMIRROR_BINARY, args);
    auto code = proc.wait_for(120s);
    return {code, proc.log()};
}

// True once `topic` on the target holds `count` records.
bool target_holds(const std::string& topic, size_t count) {
    try {
        return consume_all(plaintext_settings(target_cluster()), topic, 10s).size() == count;
    } catch (const std::exception&) {
        return false; // not created yet
    }
}

void stop(ChildProcess& proc) {
    proc.signal(SIGTERM);
    ASSERT_EQ(proc.wait_for(20s), std::optional<int>(0)) << proc.log();
}

TEST(Verify, EveryRecordArrivedAfterKmirrorCopiedThem) {
    const auto a = unique_aliases("v");
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("vf-copied");
    create_topic(src, topic, 2);
    const auto written = produce(src, topic, make_records(400, 2, "verify-copied"));
    const std::string remote = a.source + "." + topic;
    const auto mm2 = write_mm2(a, topic);
    {
        ChildProcess proc(KMIRROR_BINARY, {"run", mm2});
        ASSERT_TRUE(eventually([&] { return target_holds(remote, written.size()); }, 60s))
            << proc.log();
        stop(proc);
    }

    // No --topics: every topic of the flow, the heartbeats topic (replicated, but still being
    // written) left out.
    const auto v = run_kmirror({"verify", mm2});
    ASSERT_EQ(v.exit_code, std::optional<int>(0)) << v.output;
    EXPECT_TRUE(row_of(v.output, "heartbeats", 0).empty()) << v.output;
    int64_t matched = 0;
    for (int p = 0; p < 2; ++p) {
        const auto row = row_of(v.output, topic, p);
        ASSERT_EQ(row.size(), 11u) << "no row for partition " << p << " in:\n" << v.output;
        EXPECT_EQ(row[3], row[4]) << "source and target record counts differ:\n" << v.output;
        EXPECT_EQ(row[5], row[3]) << v.output;
        EXPECT_EQ(row[6] + row[7] + row[8] + row[9], "0000") << v.output;
        EXPECT_EQ(row[10], "complete") << v.output;
        matched += std::stoll(row[5]);
    }
    EXPECT_EQ(matched, static_cast<int64_t>(written.size()));
    EXPECT_NE(v.output.find("every record arrived: 400 record(s) in 2 partition(s)"),
              std::string::npos)
        << v.output;

    // The same check from the source connector's JSON file, as a REST worker user has it.
    const auto msc = write_connector_json(
        a, "org.apache.kafka.connect.mirror.MirrorSourceConnector", topic, /*nested=*/true);
    const auto from_json = run_kmirror({"verify", msc});
    ASSERT_EQ(from_json.exit_code, std::optional<int>(0)) << from_json.output;
    EXPECT_NE(from_json.output.find("every record arrived: 400 record(s) in 2 partition(s)"),
              std::string::npos)
        << from_json.output;
}

// Source offsets 0-99; the target gets (target offsets in brackets): 0-19 [0-19], 20 with a
// header changed [20], 21-39 [21-39], 50-69 [40-59], 60-62 again [60-62], 70-89 [63-82] and a
// record of its own [83]. 40-49 never arrive; 90-99 are not copied yet.
TEST(Verify, ReportsMissingNotCopiedDuplicateAndForeignRecordsWhereTheyAre) {
    const auto a = unique_aliases("v");
    const auto src = plaintext_settings(source_cluster());
    const auto tgt = plaintext_settings(target_cluster());
    const std::string topic = unique_name("vf-gaps");
    const std::string remote = a.source + "." + topic;
    create_topic(src, topic, 1);
    create_topic(tgt, remote, 1);
    const auto source = produce(src, topic, make_records(100, 1, "verify-gaps"));
    ASSERT_EQ(source.size(), 100u);
    auto copy = [&](size_t from, size_t to, std::vector<TestRecord>& out) {
        for (size_t i = from; i < to; ++i) {
            TestRecord r = source[i];
            r.offset = -1;
            out.push_back(r);
        }
    };
    std::vector<TestRecord> target;
    copy(0, 20, target);
    TestRecord changed = source[20];
    changed.offset = -1;
    changed.headers.emplace_back("changed", "on the way");
    target.push_back(changed);
    copy(21, 40, target);
    copy(50, 70, target);
    copy(60, 63, target);
    copy(70, 90, target);
    target.push_back(TestRecord{0,
                                -1,
                                std::string("foreign"),
                                std::string("not from the source"),
                                {},
                                source[89].timestamp});
    ASSERT_EQ(produce(tgt, remote, target).size(), 84u);

    const auto mm2 = write_mm2(a, topic);
    const auto v = run_kmirror({"verify", mm2, "--topics", topic});
    EXPECT_EQ(v.exit_code, std::optional<int>(1)) << v.output;
    EXPECT_EQ(row_of(v.output, topic, 0),
              (std::vector<std::string>{a.source + "->" + a.target, topic, "0", "100", "84", "79",
                                        "11", "10", "3", "2", "INCOMPLETE"}))
        << v.output;
    const std::string where = topic + "-0 -> " + remote + ": ";
    for (const std::string detail :
         {"missing 11 record(s) at source offsets 20, 40-49\n",
          "10 record(s) not copied yet, from source offset 90\n",
          "3 duplicate(s) at target offsets 60, 61, 62\n",
          "2 record(s) not from the source (written to the target directly, or compacted or "
          "deleted on the source) at target offsets 20, 83\n"}) {
        EXPECT_NE(v.output.find(where + detail), std::string::npos)
            << "expected '" << where << detail << "' in:\n"
            << v.output;
    }
    EXPECT_NE(v.output.find("1 of 1 partition(s) incomplete"), std::string::npos) << v.output;
}

TEST(Verify, BadOptionsNameTheOptionAndWhatIsExpected) {
    const auto mm2 = write_mm2(unique_aliases("v"), "none");
    const auto timeout = run_kmirror({"verify", mm2, "--timeout", "soon"});
    EXPECT_EQ(timeout.exit_code, std::optional<int>(2)) << timeout.output;
    EXPECT_NE(timeout.output.find("--timeout: expected a positive number of seconds, got 'soon'"),
              std::string::npos)
        << timeout.output;
    const auto regex = run_kmirror({"verify", mm2, "--topics", "orders("});
    EXPECT_EQ(regex.exit_code, std::optional<int>(2)) << regex.output;
    EXPECT_NE(regex.output.find("--topics"), std::string::npos) << regex.output;
}

// Records a second apart; the target lacks 10-19. From record 50's time on (--since, as a UTC
// time and as epoch milliseconds), both sides start at record 50 and the copy is complete.
TEST(Verify, SinceChecksOnlyTheRecordsFromThatTimeOn) {
    const auto a = unique_aliases("v");
    const auto src = plaintext_settings(source_cluster());
    const auto tgt = plaintext_settings(target_cluster());
    const std::string topic = unique_name("vf-since");
    const std::string remote = a.source + "." + topic;
    create_topic(src, topic, 1);
    create_topic(tgt, remote, 1);
    const int64_t base_s = std::time(nullptr) - 3600;
    auto records = make_records(100, 1, "verify-since");
    for (size_t i = 0; i < records.size(); ++i) {
        records[i].timestamp = (base_s + static_cast<int64_t>(i)) * 1000;
    }
    const auto source = produce(src, topic, records);
    std::vector<TestRecord> target;
    for (size_t i = 0; i < source.size(); ++i) {
        if (i < 10 || i >= 20) {
            target.push_back(source[i]);
            target.back().offset = -1;
        }
    }
    ASSERT_EQ(produce(tgt, remote, target).size(), 90u);
    const auto mm2 = write_mm2(a, topic);

    const auto all = run_kmirror({"verify", mm2});
    EXPECT_EQ(all.exit_code, std::optional<int>(1)) << all.output;
    EXPECT_NE(all.output.find("missing 10 record(s) at source offsets 10-19"), std::string::npos)
        << all.output;

    const std::time_t from = static_cast<std::time_t>(base_s + 50);
    std::tm tm{};
    gmtime_r(&from, &tm);
    char iso[32];
    std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (const std::string& since : {std::string(iso), std::to_string((base_s + 50) * 1000)}) {
        const auto v = run_kmirror({"verify", mm2, "--since", since});
        EXPECT_EQ(v.exit_code, std::optional<int>(0)) << "--since " << since << "\n" << v.output;
        EXPECT_EQ(row_of(v.output, topic, 0),
                  (std::vector<std::string>{a.source + "->" + a.target, topic, "0", "50", "50",
                                            "50", "0", "0", "0", "0", "complete"}))
            << "--since " << since << "\n"
            << v.output;
    }
    const auto bad = run_kmirror({"verify", mm2, "--since", "yesterday"});
    EXPECT_EQ(bad.exit_code, std::optional<int>(2)) << bad.output;
    EXPECT_NE(bad.output.find("--since: expected epoch milliseconds or a UTC time"),
              std::string::npos)
        << bad.output;
}

// verify --wait started before kmirror: at first nothing is on the target (the tail not copied
// yet); it checks again until kmirror has copied every record.
TEST(Verify, WaitsForTheTailWhileTheCopyCatchesUp) {
    const auto a = unique_aliases("v");
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("vf-wait");
    create_topic(src, topic, 2);
    ASSERT_EQ(produce(src, topic, make_records(600, 2, "verify-wait")).size(), 600u);
    const auto mm2 = write_mm2(a, topic);
    ChildProcess verify(KMIRROR_BINARY, {"verify", mm2, "--wait", "90"});
    // Deliberate: verify must have read the empty target before the copy starts, or there would
    // be nothing to wait for.
    std::this_thread::sleep_for(2s);
    ChildProcess copy(KMIRROR_BINARY, {"run", mm2});
    EXPECT_EQ(verify.wait_for(120s), std::optional<int>(0)) << verify.log() << copy.log();
    EXPECT_NE(verify.log().find("every record arrived: 600 record(s) in 2 partition(s)"),
              std::string::npos)
        << verify.log();
    stop(copy);
}

TEST(Verify, AnUnreachableClusterIsNamedAndNothingPassesAsVerified) {
    const std::string path = "/tmp/" + unique_name("mm2-unreachable") + ".properties";
    {
        std::ofstream out(path);
        out << "clusters = gone, tgt\n"
            << "gone.bootstrap.servers = 127.0.0.1:" << free_loopback_port() << "\n"
            << "tgt.bootstrap.servers = " << target_cluster().plaintext << "\n"
            << "gone->tgt.enabled = true\n"
            << "admin.timeout.ms = 3000\n";
    }
    const auto v = run_kmirror({"verify", path});
    EXPECT_EQ(v.exit_code, std::optional<int>(1)) << v.output;
    EXPECT_NE(v.output.find("flow gone->tgt: cluster 'gone': cannot list topics"),
              std::string::npos)
        << v.output;
    EXPECT_NE(v.output.find("not verified: 1 read error(s)"), std::string::npos) << v.output;
    EXPECT_EQ(v.output.find("every record arrived"), std::string::npos) << v.output;
}

// Bad command lines and files: exit 2, a message naming the option, file or key, and nothing
// written (the group asked for is not committed on the target).
TEST(Tools, BadArgumentsAndFilesGetAClearErrorAndChangeNothing) {
    const auto mm2 = write_mm2(unique_aliases("v"), "none");
    auto write = [](const std::string& text) {
        const std::string path = "/tmp/" + unique_name("tool-file") + ".json";
        std::ofstream(path) << text;
        return path;
    };
    const std::string group = unique_name("tools-untouched");
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"cutover", mm2, "--commit"}, "kmirror cutover: --group: expected at least one"},
        {{"cutover", mm2, "--group"}, "kmirror cutover: --group: expected a value after it"},
        {{"cutover", "--group", group}, "missing the mm2.properties (or connector JSON) file"},
        {{"offsets", mm2, "--bogus"}, "kmirror offsets: unknown option '--bogus'"},
        {{"verify", "/nonexistent/mm2.properties"}, "/nonexistent/mm2.properties"},
        {{"cutover", write("{\"topics\": "), "--group", group, "--commit"}, "invalid JSON"},
        {{"verify", write("{\"name\": \"x\", \"config\": {\"topics\": [\"a\"]}}")},
         "Connector configuration value of 'topics' must be a string"},
    };
    for (const auto& [args, says] : cases) {
        const auto r = run_kmirror(args);
        EXPECT_EQ(r.exit_code, std::optional<int>(2)) << args[0] << ": " << r.output;
        EXPECT_NE(r.output.find(says), std::string::npos) << "expected '" << says << "' in:\n"
                                                          << r.output;
    }
    // A group that never committed anything is Dead (or unknown) to the broker.
    auto described = admin_for(target_cluster()).describe_consumer_groups({group}, 10s);
    ASSERT_TRUE(described) << described.error().message;
    auto it = described->find(group);
    EXPECT_TRUE(it == described->end() || it->second.state == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD)
        << "a refused command created group '" << group << "' on the target";
}

// A group stopped on the source at 60 of 100 records: checked, shown at its exact position,
// committed on the target and read back; a second run finds it there. A group whose position the
// flow has not copied yet (kmirror stopped, 50 more records) is blocked with the reason.
TEST(Cutover, MovesAStoppedGroupToItsExactPositionOnTheTargetAndBlocksOneNotReplicatedYet) {
    const auto a = unique_aliases("v");
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("co-orders");
    const std::string remote = a.source + "." + topic;
    const std::string group = unique_name("co-app");
    const std::string late = unique_name("co-late");
    create_topic(src, topic, 1);
    ASSERT_EQ(produce(src, topic, make_records(100, 1, "cutover")).size(), 100u);
    commit_group_offsets(source_cluster(), group, {{{topic, 0}, 60}});
    // The group also reads a topic the flow does not replicate: a warning, the rest moves.
    const std::string other = unique_name("co-not-replicated");
    create_topic(src, other, 1);
    produce(src, other, make_records(5, 1, "cutover-other"));
    commit_group_offsets(source_cluster(), group, {{{other, 0}, 3}});
    const auto mm2 = write_mm2(a, topic);

    ChildProcess proc(KMIRROR_BINARY, {"run", mm2});
    ASSERT_TRUE(eventually([&] { return target_holds(remote, 100); }, 60s)) << proc.log();
    Ran dry;
    ASSERT_TRUE(eventually(
        [&] {
            dry = run_kmirror({"cutover", mm2, "--group", group});
            return dry.exit_code == std::optional<int>(0);
        },
        30s))
        << dry.output << proc.log();
    EXPECT_EQ(row_of(dry.output, topic, 0, 8),
              (std::vector<std::string>{topic, "0", "60", remote, "60", "yes", "-", "commit"}))
        << dry.output;
    EXPECT_NE(dry.output.find("is ready: run again with --commit"), std::string::npos)
        << dry.output;
    EXPECT_NE(dry.output.find("warning: group '" + group +
                              "' also has committed offsets on cluster '" + a.source +
                              "' for topics this flow does not replicate (" + other + ")"),
              std::string::npos)
        << dry.output;
    const std::vector<kafka::TopicPartitionKey> partitions = {{remote, 0}};
    auto before = admin_for(target_cluster()).list_consumer_group_offsets(group, 10s, &partitions);
    ASSERT_TRUE(before) << before.error().message;
    EXPECT_TRUE(before->empty()) << "a dry run committed something";

    const auto moved = run_kmirror({"cutover", mm2, "--group", group, "--commit"});
    ASSERT_EQ(moved.exit_code, std::optional<int>(0)) << moved.output;
    EXPECT_NE(moved.output.find("moved: its positions are committed on the target"),
              std::string::npos)
        << moved.output;
    auto after = admin_for(target_cluster()).list_consumer_group_offsets(group, 10s, &partitions);
    ASSERT_TRUE(after) << after.error().message;
    ASSERT_EQ(after->count({remote, 0}), 1u);
    EXPECT_EQ(after->at({remote, 0}).offset, 60);

    // Again, from the checkpoint connector's JSON file (flat, as the seed's mm2-cpc-*.json).
    const auto cpc = write_connector_json(
        a, "org.apache.kafka.connect.mirror.MirrorCheckpointConnector", topic, /*nested=*/false);
    const auto again = run_kmirror({"cutover", cpc, "--group", group});
    EXPECT_EQ(again.exit_code, std::optional<int>(0)) << again.output;
    const auto again_row = row_of(again.output, topic, 0, 8);
    ASSERT_FALSE(again_row.empty()) << again.output;
    EXPECT_EQ(again_row.back(), "already-there") << again.output;
    stop(proc);

    ASSERT_EQ(produce(src, topic, make_records(50, 1, "cutover-late")).size(), 50u);
    commit_group_offsets(source_cluster(), late, {{{topic, 0}, 130}});
    const auto blocked = run_kmirror({"cutover", mm2, "--group", late, "--commit"});
    EXPECT_EQ(blocked.exit_code, std::optional<int>(1)) << blocked.output;
    EXPECT_NE(
        blocked.output.find("BLOCKED: " + topic + "-0: committed offset 130 is not replicated yet"),
        std::string::npos)
        << blocked.output;
    auto untouched =
        admin_for(target_cluster()).list_consumer_group_offsets(late, 10s, &partitions);
    ASSERT_TRUE(untouched) << untouched.error().message;
    EXPECT_TRUE(untouched->empty()) << "a blocked group was committed";
}

} // namespace
} // namespace kmirror::testing
