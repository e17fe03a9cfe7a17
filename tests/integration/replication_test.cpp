// Replication engine against real brokers: `kmirror run` between the test bed's source and
// target clusters, compared record by record.
#include "support/kafka_ops.h"
#include "support/testbed.h"

#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;

// An mm2.properties for source -> target limited to this test's topics.
struct Mm2File {
    std::string path;
    std::string group;

    static Mm2File write(const std::string& topic_regex, const std::string& extra = "") {
        Mm2File f;
        f.group = unique_name("kmirror-progress");
        f.path = "/tmp/" + unique_name("mm2") + ".properties";
        std::ofstream out(f.path);
        out << "clusters = source, target\n"
            << "source.bootstrap.servers = " << source_cluster().plaintext << "\n"
            << "target.bootstrap.servers = " << target_cluster().plaintext << "\n"
            << "source->target.enabled = true\n"
            << "source->target.topics = " << topic_regex << "\n"
            << "replication.factor = 1\n"
            << "offset-syncs.topic.replication.factor = 1\n"
            << "refresh.topics.interval.seconds = 2\n"
            << "sync.topic.configs.interval.seconds = 2\n"
            << "admin.timeout.ms = 10000\n"
            << "kmirror.progress.group.id = " << f.group << "\n"
            << extra;
        return f;
    }
};

// Tests that run on both copy paths (mirror/batch_forwarder.h): the parameter is true for the
// batch path (the default on plaintext), false for record by record.
class ReplicationPaths : public ::testing::TestWithParam<bool> {
protected:
    static std::string path_setting() {
        return GetParam() ? "" : "kmirror.batch.forwarding = false\n";
    }
};

ChildProcess start_kmirror(const Mm2File& file, const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> args{"run", file.path};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return ChildProcess(KMIRROR_BINARY, args);
}

std::vector<TestRecord> without_offsets(std::vector<TestRecord> records) {
    for (auto& r : records) {
        r.offset = -1;
    }
    return records;
}

// Waits until `topic` on the target holds `count` records, then returns them.
std::vector<TestRecord> await_target(const std::string& topic, size_t count, ChildProcess& proc,
                                     std::chrono::milliseconds timeout = 60s) {
    const auto target = plaintext_settings(target_cluster());
    std::vector<TestRecord> got;
    bool done = eventually(
        [&] {
            if (!proc.running()) {
                return true;
            }
            int64_t total = 0;
            try {
                for (const auto& [p, wm] : watermarks(target, topic)) {
                    total += wm.second - wm.first;
                }
            } catch (const std::exception&) {
                return false; // topic not created yet
            }
            return total >= static_cast<int64_t>(count);
        },
        timeout, 200ms);
    EXPECT_TRUE(done) << "timed out waiting for " << count << " records on target topic '" << topic
                      << "'\n"
                      << proc.log();
    EXPECT_TRUE(proc.running()) << "kmirror exited early:\n" << proc.log();
    got = consume_all(target, topic, 30s);
    return got;
}

// Records as they should look on the target: same partition, order, key, value, headers and
// timestamp; offsets are compared separately where they must match.
void expect_same_records(const std::vector<TestRecord>& source,
                         const std::vector<TestRecord>& target) {
    ASSERT_EQ(source.size(), target.size());
    auto s = without_offsets(source);
    auto t = without_offsets(target);
    for (size_t i = 0; i < s.size(); ++i) {
        ASSERT_EQ(s[i], t[i]) << "record " << i << " differs (partition " << s[i].partition << ")";
    }
}

TEST_P(ReplicationPaths, CopiesRecordsByteForByteWithDefaultPolicy) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("rep-bytes");
    create_topic(src, topic, 3);
    auto records = make_records(600, 3, "bytes");
    // Edge cases: null key, null value (tombstone), empty key and value, null header value,
    // duplicate header names kept in order.
    records[0].key.reset();
    records[1].value.reset();
    records[2].key = std::string();
    records[2].value = std::string();
    records[3].headers = {{"h", std::nullopt}, {"dup", "1"}, {"dup", "2"}, {"", "empty-name"}};
    produce(src, topic, records);
    const auto source_records = consume_all(src, topic, 30s);
    ASSERT_EQ(source_records.size(), records.size());

    auto mm2 = Mm2File::write(topic, path_setting());
    auto proc = start_kmirror(mm2);
    const auto replicated = await_target("source." + topic, records.size(), proc);
    expect_same_records(source_records, replicated);
    // A plain topic keeps its offsets one to one.
    for (size_t i = 0; i < replicated.size(); ++i) {
        ASSERT_EQ(replicated[i].offset, source_records[i].offset);
    }

    proc.signal(SIGTERM);
    auto code = proc.wait_for(10s);
    ASSERT_TRUE(code.has_value()) << "kmirror did not stop within 10 s of SIGTERM";
    EXPECT_EQ(*code, 0) << proc.log();
}

// A small memory bound makes every flow-control path run many times: the consumer's prefetch
// queue reaching its bound (librdkafka then stops fetching until kmirror wakes it with a seek),
// held records pausing the source, and the per-partition batch gate. None of them may skip,
// repeat or reorder a record.
TEST_P(ReplicationPaths, UnderATightMemoryBoundEveryRecordArrivesOnceInOrder) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("rep-tight");
    create_topic(src, topic, 6);
    produce(src, topic, make_records(40000, 6, "tight"));
    const auto source_records = consume_all(src, topic, 60s);
    ASSERT_EQ(source_records.size(), 40000U);

    auto mm2 = Mm2File::write(topic, "kmirror.max.in.flight.bytes = 1048576\n"
                                     "source->target.producer.batch.size = 65536\n" +
                                         path_setting());
    auto proc = start_kmirror(mm2, {"--log-level", "debug"});
    const auto replicated = await_target("source." + topic, source_records.size(), proc, 120s);
    expect_same_records(source_records, replicated);
    for (size_t i = 0; i < replicated.size(); ++i) {
        ASSERT_EQ(replicated[i].offset, source_records[i].offset) << "record " << i;
    }
    proc.signal(SIGTERM);
    auto code = proc.wait_for(10s);
    ASSERT_TRUE(code.has_value()) << "kmirror did not stop within 10 s of SIGTERM";
    EXPECT_EQ(*code, 0) << proc.log();
}

TEST(Replication, IdentityAndRenamePolicies) {
    const auto src = plaintext_settings(source_cluster());
    const std::string identity_topic = unique_name("rep-identity");
    const std::string rename_topic = unique_name("rep-rename");
    create_topic(src, identity_topic, 2);
    create_topic(src, rename_topic, 2);
    auto records = make_records(200, 2, "policies");
    produce(src, identity_topic, records);
    produce(src, rename_topic, records);

    {
        auto mm2 = Mm2File::write(identity_topic,
                                  "replication.policy.class = "
                                  "com.amazonaws.kafka.samples.CustomMM2ReplicationPolicy\n");
        auto proc = start_kmirror(mm2);
        expect_same_records(consume_all(src, identity_topic, 30s),
                            await_target(identity_topic, records.size(), proc));
    }
    {
        auto mm2 = Mm2File::write(rename_topic,
                                  "replication.policy.class = io.kmirror.RenameReplicationPolicy\n"
                                  "replication.policy.rename.prefix = migrated-\n");
        auto proc = start_kmirror(mm2);
        expect_same_records(consume_all(src, rename_topic, 30s),
                            await_target("migrated-" + rename_topic, records.size(), proc));
    }
}

TEST_P(ReplicationPaths, TransactionalTopicCopiesOnlyCommittedRecords) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("rep-txn");
    create_topic(src, topic, 1);
    produce_transactions(src, topic,
                         {{TxnOutcome::commit, 10},
                          {TxnOutcome::abort, 5},
                          {TxnOutcome::commit, 7},
                          {TxnOutcome::abort, 3},
                          {TxnOutcome::commit, 4}});
    const auto committed = consume_all(src, topic, 30s, /*read_committed=*/true);
    ASSERT_EQ(committed.size(), 21u);

    auto mm2 = Mm2File::write(topic, path_setting());
    auto proc = start_kmirror(mm2);
    auto replicated = await_target("source." + topic, committed.size(), proc);
    expect_same_records(committed, replicated);
    // Nothing aborted reached the target, not even invisibly.
    const auto all_on_target =
        consume_all(plaintext_settings(target_cluster()), "source." + topic, 30s, false);
    EXPECT_EQ(all_on_target.size(), committed.size());
}

TEST(Replication, CompactedTopicAndConfigSync) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("rep-compact");
    create_topic(src, topic, 2, {{"cleanup.policy", "compact"}, {"retention.ms", "3600000"}});
    auto records = make_records(300, 2, "compact");
    for (size_t i = 0; i < records.size(); ++i) {
        records[i].key = "key-" + std::to_string(i % 17); // compaction needs keys
    }
    produce(src, topic, records);

    auto mm2 = Mm2File::write(topic);
    auto proc = start_kmirror(mm2);
    const std::string remote = "source." + topic;
    expect_same_records(consume_all(src, topic, 30s), await_target(remote, records.size(), proc));
    const auto tgt = plaintext_settings(target_cluster());
    EXPECT_EQ(topic_config(tgt, remote, "cleanup.policy"), "compact");
    EXPECT_EQ(topic_config(tgt, remote, "retention.ms"), "3600000");

    // A later change on the source follows within the sync interval.
    alter_topic_config(src, topic, {{"cleanup.policy", "compact"}, {"retention.ms", "7200000"}});
    EXPECT_TRUE(eventually([&] { return topic_config(tgt, remote, "retention.ms") == "7200000"; },
                           30s, 500ms))
        << proc.log();
}

TEST(Replication, PicksUpNewTopicsAndPartitionIncreases) {
    const auto src = plaintext_settings(source_cluster());
    const std::string prefix = unique_name("rep-new");
    const std::string first = prefix + "-a";
    create_topic(src, first, 1);
    produce(src, first, make_records(50, 1, "first"));

    auto mm2 = Mm2File::write(prefix + "-.*");
    auto proc = start_kmirror(mm2);
    await_target("source." + first, 50, proc);

    // New topic created while running.
    const std::string second = prefix + "-b";
    create_topic(src, second, 2);
    auto second_records = make_records(80, 2, "second");
    produce(src, second, second_records);
    expect_same_records(consume_all(src, second, 30s),
                        await_target("source." + second, second_records.size(), proc));

    // Partition increase propagated, and the new partition replicated.
    add_partitions(src, first, 3);
    auto more = make_records(60, 3, "grown");
    produce(src, first, more);
    await_target("source." + first, 110, proc);
    const auto tgt = plaintext_settings(target_cluster());
    EXPECT_EQ(watermarks(tgt, "source." + first).size(), 3u);
    expect_same_records(consume_all(src, first, 30s), consume_all(tgt, "source." + first, 30s));
}

TEST_P(ReplicationPaths, KillNineThenRestartLosesNothing) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("rep-kill");
    create_topic(src, topic, 4);
    auto records = make_records(20000, 4, "kill");
    produce(src, topic, records);

    auto mm2 = Mm2File::write(topic, "offset.flush.interval.ms = 200\n" + path_setting());
    const auto tgt = plaintext_settings(target_cluster());
    const std::string remote = "source." + topic;
    {
        auto proc = start_kmirror(mm2);
        // Kill as soon as some (not all) records arrived.
        EXPECT_TRUE(eventually(
            [&] {
                try {
                    int64_t n = 0;
                    for (const auto& [p, wm] : watermarks(tgt, remote)) {
                        n += wm.second;
                    }
                    return n > 0;
                } catch (const std::exception&) {
                    return false;
                }
            },
            60s, 20ms));
        proc.signal(SIGKILL);
        proc.wait_for(5s);
    }
    auto proc = start_kmirror(mm2);
    // At-least-once: every source record is on the target, in order per partition; duplicates
    // may exist after a kill -9, losses may not. (So the record count is no sign of completion:
    // duplicates count too. Wait until every partition holds the source's sequence.)
    const auto source_records = consume_all(src, topic, 30s);
    std::map<int32_t, std::vector<TestRecord>> expected;
    for (const auto& r : source_records) {
        expected[r.partition].push_back(r);
    }
    // How many of partition p's source records appear, in order, in what arrived.
    auto found_in_order = [&](const std::vector<TestRecord>& replicated, int32_t p) {
        size_t j = 0;
        for (const auto& r : replicated) {
            if (r.partition != p || j == expected[p].size()) {
                continue;
            }
            auto a = r;
            auto b = expected[p][j];
            a.offset = b.offset = -1;
            if (a == b) {
                ++j;
            }
        }
        return j;
    };
    std::vector<TestRecord> replicated;
    const bool complete = eventually(
        [&] {
            if (!proc.running()) {
                return true;
            }
            try {
                replicated = consume_all(tgt, remote, 30s);
            } catch (const std::exception&) {
                return false;
            }
            for (int32_t p = 0; p < 4; ++p) {
                if (found_in_order(replicated, p) != expected[p].size()) {
                    return false;
                }
            }
            return true;
        },
        90s, 1000ms);
    EXPECT_TRUE(proc.running()) << "kmirror exited early:\n" << proc.log();
    EXPECT_TRUE(complete) << "the target did not get every record within 90 s\n" << proc.log();
    for (int32_t p = 0; p < 4; ++p) {
        EXPECT_EQ(found_in_order(replicated, p), expected[p].size())
            << "partition " << p << ": missing records after kill -9";
    }
}

INSTANTIATE_TEST_SUITE_P(Replication, ReplicationPaths, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return param.param ? "batches" : "records";
                         });

// The batch path forwards what it can as it is and hands the rest to the record path: here a
// producer compression.type the source's uncompressed batches do not have. An lz4 topic is
// forwarded compressed as it is; the uncompressed one is copied record by record from its start.
// Both arrive whole, in order, with their offsets.
TEST(Replication, BatchPathHandsWhatItCannotForwardAsItIsToTheRecordPath) {
    const auto src = plaintext_settings(source_cluster());
    const std::string prefix = unique_name("rep-handover");
    const std::string forwarded = prefix + "-lz4";
    const std::string handed_over = prefix + "-plain";
    create_topic(src, forwarded, 2);
    create_topic(src, handed_over, 2);
    auto lz4 = src;
    lz4.emplace_back("compression.type", "lz4");
    // Compressible values: librdkafka sends a batch uncompressed when lz4 does not make it smaller.
    auto compressible = make_records(3000, 2, "lz4");
    for (auto& r : compressible) {
        r.value = std::string(400, 'z') + r.value.value_or("");
    }
    produce(lz4, forwarded, compressible);
    produce(src, handed_over, make_records(3000, 2, "plain"));
    const auto forwarded_source = consume_all(src, forwarded, 30s);
    const auto handed_over_source = consume_all(src, handed_over, 30s);

    auto mm2 = Mm2File::write(prefix + ".*", "source->target.producer.compression.type = lz4\n");
    auto proc = start_kmirror(mm2, {"--log-level", "info"});
    const auto forwarded_target = await_target("source." + forwarded, 3000, proc);
    const auto handed_over_target = await_target("source." + handed_over, 3000, proc);
    expect_same_records(forwarded_source, forwarded_target);
    expect_same_records(handed_over_source, handed_over_target);
    for (size_t i = 0; i < forwarded_target.size(); ++i) {
        ASSERT_EQ(forwarded_target[i].offset, forwarded_source[i].offset);
        ASSERT_EQ(handed_over_target[i].offset, handed_over_source[i].offset);
    }
    const std::string log = proc.log();
    for (int p = 0; p < 2; ++p) {
        EXPECT_NE(log.find("topic '" + handed_over + "' partition " + std::to_string(p) +
                           ": copying record by record from offset 0: compression codec 0 "
                           "differs from the producer's compression.type"),
                  std::string::npos)
            << log;
        EXPECT_EQ(log.find("topic '" + forwarded + "' partition " + std::to_string(p) +
                           ": copying record by record"),
                  std::string::npos)
            << log;
    }
}

TEST(Replication, TwoProcessesShareAndSurviveAKill) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("rep-scale");
    create_topic(src, topic, 6);
    auto mm2 = Mm2File::write(topic, "offset.flush.interval.ms = 200\n");
    auto first = start_kmirror(mm2);
    auto second = start_kmirror(mm2);
    auto batch1 = make_records(3000, 6, "scale1");
    produce(src, topic, batch1);
    const std::string remote = "source." + topic;
    await_target(remote, batch1.size(), first);
    EXPECT_TRUE(second.running()) << second.log();
    // The kill must take partitions away: the second process owns some by now.
    EXPECT_TRUE(eventually(
        [&] { return std::regex_search(second.log(), std::regex("now owning [1-9]")); }, 30s))
        << second.log();

    second.signal(SIGKILL);
    second.wait_for(5s);
    auto batch2 = make_records(3000, 6, "scale2");
    produce(src, topic, batch2);
    // Within 30 s the survivor owns every partition and everything arrives. (Not a record count:
    // records the killed process copied but had not committed yet arrive twice.)
    const auto source_records = consume_all(src, topic, 30s);
    std::map<std::pair<int32_t, std::string>, int> seen;
    auto missing = [&] {
        size_t n = 0;
        for (const auto& r : source_records) {
            n += seen.count({r.partition, r.value.value_or("")}) == 0 ? 1 : 0;
        }
        return n;
    };
    (void)eventually(
        [&] {
            seen.clear();
            try {
                for (const auto& r :
                     consume_all(plaintext_settings(target_cluster()), remote, 30s)) {
                    seen[{r.partition, r.value.value_or("")}]++;
                }
            } catch (const std::exception&) {
                return false;
            }
            return missing() == 0 || !first.running();
        },
        45s, 1000ms);
    EXPECT_TRUE(first.running()) << first.log();
    EXPECT_EQ(missing(), 0U) << "records missing after the kill\n" << first.log();
}

TEST(Replication, RecordsDeletedBeforeCopyAreReportedNotSkippedSilently) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("rep-retention");
    create_topic(src, topic, 1);
    produce(src, topic, make_records(100, 1, "before"));
    auto mm2 = Mm2File::write(topic, "offset.flush.interval.ms = 200\n");
    const std::string remote = "source." + topic;
    {
        auto proc = start_kmirror(mm2);
        await_target(remote, 100, proc);
        proc.signal(SIGTERM);
        ASSERT_EQ(proc.wait_for(10s), std::optional<int>(0)) << proc.log();
    }
    // While kmirror is down, 100 more records arrive and retention deletes up to offset 150.
    produce(src, topic, make_records(100, 1, "after"));
    delete_records_before(src, topic, 0, 150);
    auto proc = start_kmirror(mm2);
    auto replicated = await_target(remote, 150, proc);
    EXPECT_TRUE(eventually(
        [&] {
            return proc.log().find("50 record(s) at offsets [100, 150) were deleted by "
                                   "retention") != std::string::npos;
        },
        10s))
        << proc.log();
    EXPECT_NE(proc.log().find("topic '" + topic + "' partition 0"), std::string::npos);
    const auto source_records = consume_all(src, topic, 30s);
    ASSERT_EQ(source_records.size(), 50u);
    ASSERT_EQ(replicated.size(), 150u);
    for (size_t i = 0; i < 50; ++i) {
        auto a = replicated[100 + i];
        auto b = source_records[i];
        a.offset = b.offset = -1;
        EXPECT_EQ(a, b) << "record " << i << " after the deleted range";
    }
}

struct BadConfigCase {
    std::string name;
    std::string text;
    std::string expected; // fragment of the error
};

TEST(Replication, BadConfigurationGivesOneClearErrorAndNonZeroExit) {
    const std::string src = source_cluster().plaintext;
    const std::string tgt = target_cluster().plaintext;
    const std::string base = "clusters = source, target\nsource.bootstrap.servers = " + src +
                             "\ntarget.bootstrap.servers = " + tgt + "\n";
    const std::vector<BadConfigCase> cases = {
        {"unknown alias", base + "source->other.enabled = true\n", "names cluster 'other'"},
        {"unreachable bootstrap",
         "clusters = source, target\nsource.bootstrap.servers = 127.0.0.1:1\n"
         "target.bootstrap.servers = " +
             tgt + "\nsource->target.enabled = true\nadmin.timeout.ms = 3000\n",
         "cluster 'source'"},
        {"invalid regex", base + "source->target.enabled = true\nsource->target.topics = (abc\n",
         "topics"},
        {"librdkafka-rejected value",
         base + "source->target.enabled = true\nsource.consumer.fetch.min.bytes = lots\n",
         "fetch.min.bytes"},
        {"bad policy class",
         base + "source->target.enabled = true\nreplication.policy.class = com.example.Nope\n",
         "replication.policy.class"},
    };
    for (const auto& c : cases) {
        const std::string path = "/tmp/" + unique_name("bad") + ".properties";
        std::ofstream(path) << c.text;
        ChildProcess proc(KMIRROR_BINARY, {"run", path});
        auto code = proc.wait_for(30s);
        ASSERT_TRUE(code.has_value()) << c.name << ": kmirror hung\n" << proc.log();
        EXPECT_NE(*code, 0) << c.name;
        EXPECT_LT(*code, 128) << c.name << ": crashed\n" << proc.log();
        EXPECT_NE(proc.log().find(c.expected), std::string::npos)
            << c.name << ": expected '" << c.expected << "' in:\n"
            << proc.log();
    }
}

} // namespace
} // namespace kmirror::testing
