// Checkpoints, group offset sync and heartbeats against real brokers: `kmirror run` between the
// test bed's source and target, consumer groups cut over from source to target.
#include "kafka/admin.h"
#include "mirror/formats.h"
#include "support/kafka_ops.h"
#include "support/testbed.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <librdkafka/rdkafka.h>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;

std::string write_mm2(const std::string& topic_regex, const std::string& group_regex,
                      const std::string& extra = "") {
    const std::string path = "/tmp/" + unique_name("mm2-cp") + ".properties";
    std::ofstream out(path);
    out << "clusters = source, target\n"
        << "source.bootstrap.servers = " << source_cluster().plaintext << "\n"
        << "target.bootstrap.servers = " << target_cluster().plaintext << "\n"
        << "source->target.enabled = true\n"
        << "source->target.topics = " << topic_regex << "\n"
        << "source->target.groups = " << group_regex << "\n"
        << "replication.factor = 1\n"
        << "offset-syncs.topic.replication.factor = 1\n"
        << "checkpoints.topic.replication.factor = 1\n"
        << "heartbeats.topic.replication.factor = 1\n"
        << "refresh.topics.interval.seconds = 2\n"
        << "emit.checkpoints.interval.seconds = 1\n"
        << "sync.group.offsets.enabled = true\n"
        << "sync.group.offsets.interval.seconds = 1\n"
        << "admin.timeout.ms = 10000\n"
        << "kmirror.progress.group.id = " << unique_name("kmirror-progress") << "\n"
        << extra;
    return path;
}

using Offsets = GroupOffsets;

Offsets committed(const ClusterEndpoints& cluster, const std::string& group,
                  const std::vector<kafka::TopicPartitionKey>& partitions) {
    auto got = admin_for(cluster).list_consumer_group_offsets(group, 10s, &partitions);
    if (!got) {
        throw std::runtime_error(got.error().message);
    }
    Offsets out;
    for (const auto& [tp, c] : *got) {
        out[tp] = c.offset;
    }
    return out;
}

// Inside eventually(): a coordinator still loading is not a failure yet.
Offsets committed_or_empty(const ClusterEndpoints& cluster, const std::string& group,
                           const std::vector<kafka::TopicPartitionKey>& partitions) {
    try {
        return committed(cluster, group, partitions);
    } catch (const std::exception&) {
        return {};
    }
}

// What a read_committed consumer at `offset` reads first, if anything.
std::optional<TestRecord> first_at_or_after(const std::vector<TestRecord>& records,
                                            int32_t partition, int64_t offset) {
    for (const auto& r : records) {
        if (r.partition == partition && r.offset >= offset) {
            return r;
        }
    }
    return std::nullopt;
}

bool same_content(const TestRecord& a, const TestRecord& b) {
    return a.key == b.key && a.value == b.value && a.headers == b.headers &&
           a.timestamp == b.timestamp;
}

std::vector<mirror::Checkpoint> read_checkpoints(const std::string& topic) {
    std::vector<mirror::Checkpoint> out;
    for (const auto& r : consume_all(plaintext_settings(target_cluster()), topic, 30s)) {
        auto c = mirror::decode_checkpoint(r.key.value_or(""), r.value.value_or(""));
        if (!c) {
            throw std::runtime_error("undecodable checkpoint: " + c.error().message);
        }
        out.push_back(*c);
    }
    return out;
}

// A compacted topic: keyed records, with tiny segments so the broker's cleaner may punch holes.
// The cleaner runs on its own schedule (log.cleaner.backoff.ms); holes are waited for briefly
// only -- the translator's handling of holes is table-tested (offset_translator_test.cpp). The
// returned snapshot is what kmirror will find: the topic stops being compacted first.
std::vector<TestRecord> make_compacted_topic(const std::string& topic) {
    const auto src = plaintext_settings(source_cluster());
    create_topic(src, topic, 1,
                 {{"cleanup.policy", "compact"},
                  {"segment.ms", "100"},
                  {"min.cleanable.dirty.ratio", "0.01"},
                  {"min.compaction.lag.ms", "0"},
                  {"delete.retention.ms", "100"}});
    std::vector<TestRecord> batch;
    for (int i = 0; i < 60; ++i) {
        TestRecord r;
        r.partition = 0;
        r.key = "k" + std::to_string(i % 6);
        r.value = "v" + std::to_string(i);
        batch.push_back(r);
    }
    int round = 0;
    std::vector<TestRecord> now;
    (void)eventually(
        [&] {
            std::vector<TestRecord> one = {batch[static_cast<size_t>(round % 60)]};
            one[0].value = "roll-" + std::to_string(round++);
            produce(src, topic, round == 1 ? batch : one); // each append may roll a segment
            now = consume_all(src, topic, 30s);
            for (size_t i = 1; i < now.size(); ++i) {
                if (now[i].offset != now[i - 1].offset + 1) {
                    return true;
                }
            }
            return false;
        },
        20s, 1000ms);
    // Freeze the topic: the cleaner runs every second on the bed and would otherwise keep
    // removing superseded records after this snapshot, while kmirror replicates.
    alter_topic_config(
        src, topic,
        {{"cleanup.policy", "delete"}, {"retention.ms", "-1"}, {"retention.bytes", "-1"}});
    std::vector<TestRecord> stable = consume_all(src, topic, 30s);
    int reads = 0;
    (void)eventually(
        [&] { // the same records in two reads more than a cleaner pause apart
            auto again = consume_all(src, topic, 30s);
            const bool same = ++reads > 1 && again.size() == stable.size();
            stable = std::move(again);
            return same;
        },
        20s, 1500ms);
    return stable;
}

// The cut-over: groups stop on the source at arbitrary positions; after a sync interval the same
// groups on the target start exactly at the first record they had not consumed.
TEST(Checkpoint, CutOverResumesExactlyAtTheFirstUnconsumedRecord) {
    const auto src = plaintext_settings(source_cluster());
    const std::string plain = unique_name("cp-plain");
    const std::string txn = unique_name("cp-txn");
    const std::string compacted = unique_name("cp-compact");
    create_topic(src, plain, 4); // partition 3 stays empty
    produce(src, plain, make_records(300, 3, "cutover"));
    create_topic(src, txn, 1);
    // 0-4 data, 5 marker, 6-10 aborted, 11 marker, 12-16 data, 17 marker, 18-20 aborted,
    // 21 marker, 22-25 data, 26 marker (end 27).
    produce_transactions(src, txn,
                         {{TxnOutcome::commit, 5},
                          {TxnOutcome::abort, 5},
                          {TxnOutcome::commit, 5},
                          {TxnOutcome::abort, 3},
                          {TxnOutcome::commit, 4}});
    const auto compacted_records = make_compacted_topic(compacted);
    const auto plain_records = consume_all(src, plain, 30s);
    const auto txn_records = consume_all(src, txn, 30s, Isolation::read_committed);
    ASSERT_EQ(txn_records.size(), 14U);
    const auto txn_end = watermarks(src, txn).at(0).second;

    // A hole of the compacted topic: the offset just after a surviving record that is followed
    // by a gap (if the cleaner ran already; else the middle of the topic).
    int64_t hole = compacted_records[compacted_records.size() / 2].offset;
    ::testing::Test::RecordProperty("compacted_holes", "no");
    for (size_t i = 1; i < compacted_records.size(); ++i) {
        if (compacted_records[i].offset != compacted_records[i - 1].offset + 1) {
            hole = compacted_records[i - 1].offset + 1;
            ::testing::Test::RecordProperty("compacted_holes", "yes");
        }
    }

    const std::string prefix = unique_name("cutover");
    const std::map<std::string, Offsets> groups = {
        {prefix + "-plain", {{{plain, 0}, 10}, {{plain, 1}, 57}, {{plain, 2}, 0}, {{plain, 3}, 0}}},
        {prefix + "-plain-end",
         {{{plain, 0}, watermarks(src, plain).at(0).second},
          {{plain, 1}, watermarks(src, plain).at(1).second - 1}}},
        {prefix + "-txn-marker", {{{txn, 0}, 5}}},    // at a commit marker
        {prefix + "-txn-aborted", {{{txn, 0}, 8}}},   // inside an aborted transaction
        {prefix + "-txn-middle", {{{txn, 0}, 14}}},   // inside a committed transaction
        {prefix + "-txn-end", {{{txn, 0}, txn_end}}}, // past the last marker (Java's position)
        {prefix + "-compact-hole", {{{compacted, 0}, hole}}},
        {prefix + "-compact-first", {{{compacted, 0}, compacted_records.front().offset}}},
    };
    for (const auto& [group, offsets] : groups) {
        commit_group_offsets(source_cluster(), group, offsets);
    }

    const auto mm2 = write_mm2(plain + "|" + txn + "|" + compacted, prefix + ".*");
    ChildProcess proc(KMIRROR_BINARY, {"run", mm2});

    std::map<std::string, Offsets> target_offsets;
    const bool synced = eventually(
        [&] {
            if (!proc.running()) {
                return true;
            }
            for (const auto& [group, offsets] : groups) {
                std::vector<kafka::TopicPartitionKey> remote_partitions;
                for (const auto& [tp, off] : offsets) {
                    remote_partitions.emplace_back("source." + tp.first, tp.second);
                }
                auto got = committed_or_empty(target_cluster(), group, remote_partitions);
                if (got.size() != offsets.size()) {
                    return false;
                }
                target_offsets[group] = got;
            }
            return true;
        },
        90s, 500ms);
    ASSERT_TRUE(proc.running()) << proc.log();
    ASSERT_TRUE(synced) << "target groups not synced within 90 s\n" << proc.log();

    const auto tgt = plaintext_settings(target_cluster());
    std::map<std::string, std::vector<TestRecord>> target_records;
    for (const auto& topic : {plain, txn, compacted}) {
        target_records["source." + topic] = consume_all(tgt, "source." + topic, 30s, true);
    }
    const std::map<std::string, const std::vector<TestRecord>*> source_records = {
        {plain, &plain_records}, {txn, &txn_records}, {compacted, &compacted_records}};
    for (const auto& [group, offsets] : groups) {
        for (const auto& [tp, source_offset] : offsets) {
            const auto& [topic, partition] = tp;
            const std::string remote = "source." + topic;
            SCOPED_TRACE(group + " " + topic + "-" + std::to_string(partition) + " at " +
                         std::to_string(source_offset));
            const auto it = target_offsets[group].find({remote, partition});
            ASSERT_NE(it, target_offsets[group].end());
            const int64_t target_offset = it->second;
            const auto expected =
                first_at_or_after(*source_records.at(topic), partition, source_offset);
            const auto actual = first_at_or_after(target_records[remote], partition, target_offset);
            const int64_t target_end = watermarks(tgt, remote).at(partition).second;
            EXPECT_LE(target_offset, target_end) << "negative lag on the target";
            if (!expected) {
                EXPECT_FALSE(actual.has_value()) << "a consumed record would be read again";
                EXPECT_EQ(target_offset, target_end) << "lag must be 0 on the target";
                continue;
            }
            ASSERT_TRUE(actual.has_value()) << "records would be lost";
            EXPECT_TRUE(same_content(*expected, *actual))
                << "expected " << *expected << "\nactual   " << *actual;
            // Nothing between the target offset and that record (no duplicate before it).
            EXPECT_EQ(actual->offset, target_offset);
        }
    }

    // The checkpoints are MM2's bytes: decodable, partition 0 only, downstream >= 0, metadata
    // copied from the source commit.
    const auto checkpoints = read_checkpoints("source.checkpoints.internal");
    std::map<std::string, int> per_group;
    for (const auto& c : checkpoints) {
        ASSERT_GE(c.downstream_offset, 0);
        if (groups.count(c.group) != 0) {
            ++per_group[c.group];
            EXPECT_EQ(c.metadata, "meta-" + std::to_string(c.upstream_offset));
            EXPECT_TRUE(c.topic.rfind("source.", 0) == 0) << c.topic;
        }
    }
    EXPECT_EQ(per_group.size(), groups.size());
    for (const auto& [tp, wm] : watermarks(tgt, "source.checkpoints.internal")) {
        if (tp != 0) {
            EXPECT_EQ(wm.second, 0) << "checkpoints outside partition 0";
        }
    }

    // The operator command shows the same translation, exact.
    ChildProcess offsets(KMIRROR_BINARY, {"offsets", mm2, "--group", prefix + "-txn-aborted"});
    ASSERT_EQ(offsets.wait_for(60s), std::optional<int>(0)) << offsets.log();
    const auto table = offsets.log();
    EXPECT_NE(table.find(txn), std::string::npos) << table;
    EXPECT_NE(table.find("yes"), std::string::npos) << table;

    proc.signal(SIGTERM);
    ASSERT_EQ(proc.wait_for(20s), std::optional<int>(0)) << proc.log();
}

// A group with an active member on the target keeps its offsets; other groups are synced. Once
// the member leaves, the group is synced too.
TEST(Checkpoint, ActiveTargetConsumerBlocksOnlyItsOwnGroup) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("cp-active");
    create_topic(src, topic, 1);
    produce(src, topic, make_records(50, 1, "active"));
    const std::string prefix = unique_name("active");
    const std::string busy = prefix + "-busy";
    const std::string idle = prefix + "-idle";
    commit_group_offsets(source_cluster(), busy, {{{topic, 0}, 20}});
    commit_group_offsets(source_cluster(), idle, {{{topic, 0}, 30}});

    const auto mm2 = write_mm2(topic, prefix + ".*");
    ChildProcess proc(KMIRROR_BINARY, {"run", mm2});
    const std::string remote = "source." + topic;
    ASSERT_TRUE(eventually(
        [&] {
            try {
                return watermarks(plaintext_settings(target_cluster()), remote).at(0).second == 50;
            } catch (const std::exception&) {
                return false;
            }
        },
        60s))
        << proc.log();

    // An active member of `busy` on the target (never commits).
    std::atomic<bool> stop{false};
    std::atomic<bool> joined{false};
    std::thread member([&] {
        kafka::ClientSpec spec;
        spec.cluster = "target";
        spec.role = "test-member";
        spec.settings = plaintext_settings(target_cluster());
        spec.settings.emplace_back("group.id", busy);
        spec.settings.emplace_back("enable.auto.commit", "false");
        spec.settings.emplace_back("auto.offset.reset", "latest");
        auto consumer = kafka::make_consumer(spec);
        if (!consumer) {
            return;
        }
        auto list = kafka::make_partition_list(1);
        rd_kafka_topic_partition_list_add(list.get(), remote.c_str(), RD_KAFKA_PARTITION_UA);
        rd_kafka_subscribe(consumer->get(), list.get());
        while (!stop.load()) {
            kafka::MessagePtr m(rd_kafka_consumer_poll(consumer->get(), 100));
            rd_kafka_topic_partition_list_t* assigned = nullptr;
            if (rd_kafka_assignment(consumer->get(), &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (assigned->cnt > 0) {
                    joined = true;
                }
                rd_kafka_topic_partition_list_destroy(assigned);
            }
        }
        kafka::close_consumer(*consumer);
    });
    ASSERT_TRUE(eventually([&] { return joined.load(); }, 30s));

    ASSERT_TRUE(eventually(
        [&] {
            return committed_or_empty(target_cluster(), idle, {{remote, 0}}).size() == 1;
        },
        60s))
        << proc.log();
    EXPECT_EQ(committed(target_cluster(), idle, {{remote, 0}}).at({remote, 0}), 30);
    // The checkpoint of `busy` exists, yet its target offsets were left alone.
    ASSERT_TRUE(eventually(
        [&] {
            for (const auto& c : read_checkpoints("source.checkpoints.internal")) {
                if (c.group == busy && c.downstream_offset == 20) {
                    return true;
                }
            }
            return false;
        },
        30s));
    EXPECT_TRUE(committed(target_cluster(), busy, {{remote, 0}}).empty());

    stop = true;
    member.join();
    ASSERT_TRUE(eventually(
        [&] {
            return committed_or_empty(target_cluster(), busy, {{remote, 0}}).size() == 1;
        },
        60s))
        << proc.log();
    EXPECT_EQ(committed(target_cluster(), busy, {{remote, 0}}).at({remote, 0}), 20);
}

// MM2's rule for a group reset backwards on the source: a new, lower checkpoint is emitted, but
// the target group is never moved backwards by offset sync.
TEST(Checkpoint, GroupResetBackwardsFollowsMm2Rule) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("cp-reset");
    create_topic(src, topic, 1);
    produce(src, topic, make_records(80, 1, "reset"));
    const std::string prefix = unique_name("reset");
    const std::string group = prefix + "-g";
    const std::string witness = prefix + "-witness";
    commit_group_offsets(source_cluster(), group, {{{topic, 0}, 60}});

    const auto mm2 = write_mm2(topic, prefix + ".*");
    ChildProcess proc(KMIRROR_BINARY, {"run", mm2});
    const std::string remote = "source." + topic;
    ASSERT_TRUE(eventually(
        [&] {
            auto c = committed_or_empty(target_cluster(), group, {{remote, 0}});
            return c.size() == 1 && c.begin()->second == 60;
        },
        60s))
        << proc.log();

    commit_group_offsets(source_cluster(), group, {{{topic, 0}, 25}});
    ASSERT_TRUE(eventually(
        [&] {
            for (const auto& c : read_checkpoints("source.checkpoints.internal")) {
                if (c.group == group && c.upstream_offset == 25 && c.downstream_offset == 25) {
                    return true;
                }
            }
            return false;
        },
        30s))
        << proc.log();
    // A group committed after the reset reaching the target proves offset sync ran since.
    commit_group_offsets(source_cluster(), witness, {{{topic, 0}, 10}});
    ASSERT_TRUE(eventually(
        [&] {
            return committed_or_empty(target_cluster(), witness, {{remote, 0}}).size() == 1;
        },
        30s))
        << proc.log();
    EXPECT_EQ(committed(target_cluster(), group, {{remote, 0}}).at({remote, 0}), 60);
}

// Apache Kafka's own client library (RemoteClusterUtils.translateOffsets, from the Maven jars)
// reads kmirror's checkpoints and gets kmirror's translated offsets.
TEST(Checkpoint, JavaRemoteClusterUtilsReadsOurCheckpoints) {
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("cp-java");
    create_topic(src, topic, 2);
    produce(src, topic, make_records(120, 2, "java"));
    const std::string group = unique_name("java-g");
    commit_group_offsets(source_cluster(), group, {{{topic, 0}, 37}, {{topic, 1}, 12}});

    const int metrics_port = free_loopback_port();
    const auto mm2 = write_mm2(
        topic, group,
        "kmirror.metrics.listener = http://127.0.0.1:" + std::to_string(metrics_port) + "\n");
    ChildProcess proc(KMIRROR_BINARY, {"run", mm2});
    ASSERT_TRUE(eventually(
        [&] {
            int found = 0;
            try {
                for (const auto& c : read_checkpoints("source.checkpoints.internal")) {
                    found += c.group == group ? 1 : 0;
                }
            } catch (const std::exception&) {
                return false; // the checkpoints topic is created when kmirror starts
            }
            return found >= 2;
        },
        60s))
        << proc.log();

    const char* java_env = std::getenv("KMIRROR_TEST_JAVA");
    const std::string java = java_env != nullptr ? java_env : "java";
    ChildProcess probe(java, {"-cp", kafka_lib_dir() + "/*",
                              std::string(KMIRROR_SOURCE_DIR) + "/tests/java/TranslateOffsets.java",
                              target_cluster().plaintext, "source", group});
    auto code = probe.wait_for(120s);
    ASSERT_TRUE(code.has_value()) << "Java probe hung\n" << probe.log();
    ASSERT_EQ(*code, 0) << probe.log();
    const std::string out = probe.log();
    EXPECT_NE(out.find("translated source." + topic + " 0 37 meta-37"), std::string::npos) << out;
    EXPECT_NE(out.find("translated source." + topic + " 1 12 meta-12"), std::string::npos) << out;
    EXPECT_NE(out.find("done 2"), std::string::npos) << out;

    // The per-group series say the translation was exact (kmirror_checkpoint_* in /metrics).
    httplib::Client http("127.0.0.1", metrics_port);
    std::string scraped;
    EXPECT_TRUE(eventually(
        [&] {
            auto res = http.Get("/metrics");
            scraped = res ? res->body : "";
            return scraped.find("kmirror_checkpoint_last_translation_exact{") !=
                       std::string::npos &&
                   scraped.find("group=\"" + group + "\"") != std::string::npos;
        },
        30s))
        << scraped;
    for (size_t pos = scraped.find("kmirror_checkpoint_last_translation_exact{");
         pos != std::string::npos;
         pos = scraped.find("kmirror_checkpoint_last_translation_exact{", pos + 1)) {
        const auto line = scraped.substr(pos, scraped.find('\n', pos) - pos);
        if (line.find("group=\"" + group + "\"") != std::string::npos) {
            EXPECT_EQ(line.substr(line.rfind(' ') + 1), "1") << line;
        }
    }
}

// Heartbeats in MM2's format: `heartbeats` on the target with key (source, target), and the
// reverse pair's heartbeats on the source replicated as `source.heartbeats`.
TEST(Checkpoint, HeartbeatsInMm2Format) {
    const auto mm2 =
        write_mm2(unique_name("cp-none"), "none", "emit.heartbeats.interval.seconds = 1\n");
    const int64_t started = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    ChildProcess proc(KMIRROR_BINARY, {"run", mm2});
    const auto tgt = plaintext_settings(target_cluster());
    bool found = false;
    ASSERT_TRUE(eventually(
        [&] {
            try {
                for (const auto& r : consume_all(tgt, "heartbeats", 30s)) {
                    auto hb = mirror::decode_heartbeat(r.key.value_or(""), r.value.value_or(""));
                    if (hb && hb->source_alias == "source" && hb->target_alias == "target" &&
                        hb->timestamp == r.timestamp && hb->timestamp >= started) {
                        found = true;
                    }
                }
            } catch (const std::exception&) {
                return false;
            }
            return found;
        },
        60s))
        << proc.log();
    EXPECT_TRUE(found);
}

} // namespace
} // namespace kmirror::testing
