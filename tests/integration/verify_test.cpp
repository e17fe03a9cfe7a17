// `kmirror verify` against real brokers: after kmirror copied a topic every record is found; on a
// target topic written by hand, each kind of difference is reported where it is and the exit
// code says the copy is incomplete.
#include "support/testbed.h"

#include <chrono>
#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;

struct Aliases {
    std::string source;
    std::string target;
};

Aliases unique_aliases() {
    std::random_device rd;
    const std::string tag = std::to_string(rd() % 100000000);
    return {"vs" + tag, "vt" + tag};
}

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
        << "emit.checkpoints.enabled = false\n"
        << "sync.topic.acls.enabled = false\n"
        << "admin.timeout.ms = 10000\n"
        << "kmirror.progress.group.id = " << unique_name("kmirror-progress") << "\n";
    return path;
}

// The words of the table row of `topic`-`partition` in `kmirror verify`'s output.
std::vector<std::string> row_of(const std::string& output, const std::string& topic,
                                int partition) {
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string s; words >> s;) {
            w.push_back(s);
        }
        if (w.size() == 11 && w[1] == topic && w[2] == std::to_string(partition)) {
            return w;
        }
    }
    return {};
}

struct Verified {
    std::optional<int> exit_code;
    std::string output;
};

Verified run_verify(const std::vector<std::string>& args) {
    ChildProcess proc(KMIRROR_BINARY, args);
    auto code = proc.wait_for(120s);
    return {code, proc.log()};
}

TEST(Verify, EveryRecordArrivedAfterKmirrorCopiedThem) {
    const auto a = unique_aliases();
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("vf-copied");
    create_topic(src, topic, 2);
    const auto written = produce(src, topic, make_records(400, 2, "verify-copied"));
    const std::string remote = a.source + "." + topic;
    const auto mm2 = write_mm2(a, topic);
    {
        ChildProcess proc(KMIRROR_BINARY, {"run", mm2});
        ASSERT_TRUE(eventually(
            [&] {
                try {
                    return consume_all(plaintext_settings(target_cluster()), remote, 10s).size() ==
                           written.size();
                } catch (const std::exception&) {
                    return false; // not created yet
                }
            },
            60s))
            << proc.log();
        proc.signal(SIGTERM);
        ASSERT_EQ(proc.wait_for(20s), std::optional<int>(0)) << proc.log();
    }

    const auto v = run_verify({"verify", mm2, "--topics", topic});
    ASSERT_EQ(v.exit_code, std::optional<int>(0)) << v.output;
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
}

// Source offsets 0-99; the target gets (target offsets in brackets): 0-19 [0-19], 20 with a
// header changed [20], 21-39 [21-39], 50-69 [40-59], 60-62 again [60-62], 70-89 [63-82] and a
// record of its own [83]. 40-49 never arrive; 90-99 are not copied yet.
TEST(Verify, ReportsMissingNotCopiedDuplicateAndForeignRecordsWhereTheyAre) {
    const auto a = unique_aliases();
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
    const auto v = run_verify({"verify", mm2, "--topics", topic});
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
    const auto mm2 = write_mm2(unique_aliases(), "none");
    const auto timeout = run_verify({"verify", mm2, "--timeout", "soon"});
    EXPECT_EQ(timeout.exit_code, std::optional<int>(2)) << timeout.output;
    EXPECT_NE(timeout.output.find("--timeout: expected a positive number of seconds, got 'soon'"),
              std::string::npos)
        << timeout.output;
    const auto regex = run_verify({"verify", mm2, "--topics", "orders("});
    EXPECT_EQ(regex.exit_code, std::optional<int>(2)) << regex.output;
    EXPECT_NE(regex.output.find("--topics"), std::string::npos) << regex.output;
}

} // namespace
} // namespace kmirror::testing
