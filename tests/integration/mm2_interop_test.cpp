// kmirror reads what real Apache Kafka MirrorMaker 2 wrote (issue #4 item 6): MM2 (dedicated
// mode, from the Maven jars in KMIRROR_KAFKA_LIB) replicates two topics with checkpoints on while
// source groups sit at fixed offsets; once MM2 wrote its offset syncs and checkpoints it is
// stopped, and
//   * `kmirror offsets` translates the groups from MM2's offset syncs, never behind MM2's
//     checkpoint and never past the first record the group has not consumed;
//   * `kmirror run` takes the flow over: it resumes every partition right after the last record
//     MM2 copied (MM2's replication progress, Connect's mm2-offsets.<source>.internal, flushed
//     before MM2 is stopped), so nothing is copied twice and nothing is lost; it loads MM2's
//     checkpoints (MM2's monotonic rule against them), goes on replicating, and its checkpoints
//     point at the right records.
// MM2 runs once per test binary (mm2_phase()); the two tests use different topics so that they
// do not depend on each other's order.
#include "mirror/formats.h"
#include "mirror/mm2_progress.h"
#include "support/kafka_ops.h"
#include "support/testbed.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;

using Offsets = std::map<std::pair<std::string, int32_t>, int64_t>;  // source (topic, p) -> offset
using CheckpointKey = std::tuple<std::string, std::string, int32_t>; // group, target topic, p

constexpr int kRecordsA = 300; // per partition, topic A (2 partitions): read by `kmirror offsets`
constexpr int kRecordsB = 200; // topic B (1 partition): taken over by `kmirror run`
constexpr int kMoreB = 50;     // produced to B after MM2 stopped, before kmirror starts

std::string random_hex() {
    static std::mt19937_64 rng{std::random_device{}()};
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08llx",
                  static_cast<unsigned long long>(rng() & 0xffffffffULL));
    return buf;
}

// Records with unique values "<tag>-<partition>-<i>", so a target record is identified by content.
std::vector<TestRecord> make_unique_records(const std::string& tag, int partitions, int from,
                                            int count) {
    std::vector<TestRecord> out;
    for (int p = 0; p < partitions; ++p) {
        for (int i = from; i < from + count; ++i) {
            TestRecord r;
            r.partition = p;
            r.key = "k-" + std::to_string(i);
            r.value = tag + "-" + std::to_string(p) + "-" + std::to_string(i);
            out.push_back(std::move(r));
        }
    }
    return out;
}

std::vector<TestRecord> of_partition(const std::vector<TestRecord>& records, int32_t partition) {
    std::vector<TestRecord> out;
    for (const auto& r : records) {
        if (r.partition == partition) {
            out.push_back(r);
        }
    }
    return out;
}

// The true answer for a group at source offset `upstream`: the target offset of the first
// replicated record whose source offset is >= upstream (the first copy of it, found by value), or
// the target end when the group consumed everything.
int64_t true_target_offset(const std::vector<TestRecord>& source_partition,
                           const std::vector<TestRecord>& target_partition, int64_t target_end,
                           int64_t upstream) {
    for (const auto& s : source_partition) {
        if (s.offset < upstream) {
            continue;
        }
        for (const auto& t : target_partition) {
            if (t.value == s.value) {
                return t.offset;
            }
        }
        throw std::runtime_error("source record " + s.value.value_or("?") +
                                 " is not on the target");
    }
    return target_end;
}

std::map<CheckpointKey, mirror::Checkpoint> latest_checkpoints(const std::vector<TestRecord>& raw) {
    std::map<CheckpointKey, mirror::Checkpoint> out;
    for (const auto& r : raw) {
        auto c = mirror::decode_checkpoint(r.key.value_or(""), r.value.value_or(""));
        if (!c) {
            throw std::runtime_error("undecodable checkpoint at offset " +
                                     std::to_string(r.offset) + ": " + c.error().message);
        }
        out[{c->group, c->topic, c->partition}] = *c;
    }
    return out;
}

std::vector<TestRecord> consume_or_empty(const kafka::Settings& settings,
                                         const std::string& topic) {
    try {
        return consume_all(settings, topic, 30s);
    } catch (const std::exception&) {
        return {}; // not created yet
    }
}

// Everything MM2 left behind, read once MM2 has stopped.
struct Mm2Phase {
    std::string source_alias;
    std::string target_alias;
    std::string topic_a;
    std::string topic_b;
    std::string group_prefix;
    std::map<std::string, Offsets> groups_a; // read by `kmirror offsets` only
    std::map<std::string, Offsets> groups_b; // taken over by `kmirror run`
    std::string properties;                  // MM2's mm2.properties
    std::vector<TestRecord> source_a, source_b;
    std::vector<TestRecord> target_a, target_b;
    std::vector<mirror::OffsetSync> syncs;
    std::map<CheckpointKey, mirror::Checkpoint> checkpoints; // latest per key
    int64_t checkpoints_end = 0;  // end of MM2's checkpoints: later records are kmirror's
    mirror::Mm2Progress progress; // MM2's replication progress (last copied source offsets)
    std::string checkpoints_topic() const { return source_alias + ".checkpoints.internal"; }
    std::string syncs_topic() const { return "mm2-offset-syncs." + target_alias + ".internal"; }
    std::string offsets_topic() const { return "mm2-offsets." + source_alias + ".internal"; }
    std::string remote(const std::string& topic) const { return source_alias + "." + topic; }
};

std::string write_properties(const Mm2Phase& m, const std::string& topics,
                             const std::string& extra = "") {
    const std::string path = "/tmp/" + unique_name("mm2-interop") + ".properties";
    const std::string& s = m.source_alias;
    const std::string& t = m.target_alias;
    std::ofstream out(path);
    out << "clusters = " << s << ", " << t << "\n"
        << s << ".bootstrap.servers = " << source_cluster().plaintext << "\n"
        << t << ".bootstrap.servers = " << target_cluster().plaintext << "\n"
        << s << "->" << t << ".enabled = true\n"
        << s << "->" << t << ".topics = " << topics << "\n"
        << s << "->" << t << ".groups = " << m.group_prefix << ".*\n"
        << t << "->" << s << ".enabled = false\n"
        << t << "->" << s << ".emit.heartbeats.enabled = false\n"
        << "emit.heartbeats.enabled = false\n"
        << "replication.factor = 1\n"
        << "offset-syncs.topic.replication.factor = 1\n"
        << "checkpoints.topic.replication.factor = 1\n"
        << "heartbeats.topic.replication.factor = 1\n"
        << "offset.storage.replication.factor = 1\n"
        << "status.storage.replication.factor = 1\n"
        << "config.storage.replication.factor = 1\n"
        << "sync.topic.acls.enabled = false\n"
        << "tasks.max = 1\n"
        << "refresh.topics.interval.seconds = 1\n"
        << "refresh.groups.interval.seconds = 1\n"
        << "emit.checkpoints.interval.seconds = 1\n"
        << "sync.group.offsets.enabled = false\n"
        // Every Kafka plugin ships ServiceLoader manifests: skips two reflective class-path
        // scans (one for MirrorMaker, one for the herder's worker) that take ~30 s each here.
        << "plugin.discovery = service_load\n"
        << t
        << ".plugin.discovery = service_load\n"
        // The worker of the s->t herder: publish the latest offset sync of every partition
        // every second (MM2 promotes its delayed syncs at each offset flush; default 60 s).
        << t << ".offset.flush.interval.ms = 1000\n"
        << extra;
    if (!out.flush()) {
        throw std::runtime_error("cannot write " + path);
    }
    return path;
}

// MM2's source offsets in Connect's offsets topic on the target (spec §4.5).
mirror::Mm2Progress read_progress(const Mm2Phase& m) {
    mirror::Mm2Progress progress;
    for (const auto& r :
         consume_or_empty(plaintext_settings(target_cluster()), m.offsets_topic())) {
        std::optional<std::string_view> key;
        std::optional<std::string_view> value;
        if (r.key) {
            key = *r.key;
        }
        if (r.value) {
            value = *r.value;
        }
        mirror::apply_mm2_offset_record(progress, "MirrorSourceConnector", m.source_alias, key,
                                        value);
    }
    return progress;
}

Mm2Phase run_mm2() {
    Mm2Phase m;
    const std::string id = random_hex();
    m.source_alias = "mms" + id;
    m.target_alias = "mmt" + id;
    m.topic_a = unique_name("mm2i-a");
    m.topic_b = unique_name("mm2i-b");
    m.group_prefix = unique_name("mm2i-g");
    const auto src = plaintext_settings(source_cluster());
    const auto tgt = plaintext_settings(target_cluster());
    create_topic(src, m.topic_a, 2);
    create_topic(src, m.topic_b, 1);
    m.source_a = produce(src, m.topic_a, make_unique_records("A", 2, 0, kRecordsA));
    m.source_b = produce(src, m.topic_b, make_unique_records("B", 1, 0, kRecordsB));

    const std::string& a = m.topic_a;
    const std::string& b = m.topic_b;
    const std::string& g = m.group_prefix;
    m.groups_a = {
        {g + "-a-mid", {{{a, 0}, 37}, {{a, 1}, 250}}},  // between MM2's sparse syncs
        {g + "-a-start", {{{a, 0}, 0}, {{a, 1}, 101}}}, // at MM2 sync points
        {g + "-a-end", {{{a, 0}, kRecordsA}, {{a, 1}, kRecordsA - 1}}}, // drained / last record
    };
    m.groups_b = {
        {g + "-b-mid", {{{b, 0}, 150}}},
        {g + "-b-end", {{{b, 0}, kRecordsB}}},
        {g + "-b-back", {{{b, 0}, 120}}},  // moved back to 40 on the source before kmirror runs
        {g + "-b-ahead", {{{b, 0}, 100}}}, // gets a checkpoint ahead of anything, see below
    };
    for (const auto* groups : {&m.groups_a, &m.groups_b}) {
        for (const auto& [group, offsets] : *groups) {
            commit_group_offsets(source_cluster(), group, offsets);
        }
    }

    m.properties = write_properties(m, a + "|" + b);
    const char* java_env = std::getenv("KMIRROR_TEST_JAVA");
    const char* log4j = std::getenv("KMIRROR_TEST_LOG4J_CONFIG");
    std::vector<std::string> argv = {"-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
                                     "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"};
    if (log4j != nullptr) {
        argv.push_back(std::string("-Dlog4j2.configurationFile=") + log4j);
    }
    argv.insert(argv.end(), {"-cp", kafka_lib_dir() + "/*",
                             "org.apache.kafka.connect.mirror.MirrorMaker", m.properties});
    ChildProcess mm2(java_env != nullptr ? java_env : "java", argv);

    // Done when MM2 copied everything, stored that as its progress (Connect's offset flush),
    // synced the last record of every partition and checkpointed every group, the drained ones
    // exactly (so it has read those last syncs).
    std::string waiting_for;
    const bool done = eventually(
        [&] {
            if (!mm2.running()) {
                return true;
            }
            const std::map<std::string, int> expected = {{m.remote(a), 2 * kRecordsA},
                                                         {m.remote(b), kRecordsB}};
            for (const auto& [topic, count] : expected) {
                if (consume_or_empty(tgt, topic).size() != static_cast<size_t>(count)) {
                    waiting_for = "all records in " + topic;
                    return false;
                }
            }
            const mirror::Mm2Progress copied = {
                {{a, 0}, kRecordsA - 1}, {{a, 1}, kRecordsA - 1}, {{b, 0}, kRecordsB - 1}};
            // Only these partitions: MM2 also replicates (and stores progress for) the source's
            // `heartbeats` topic when earlier tests on the bed wrote to it.
            const auto progress = read_progress(m);
            const bool all_copied = std::all_of(copied.begin(), copied.end(), [&](const auto& e) {
                const auto it = progress.find(e.first);
                return it != progress.end() && it->second == e.second;
            });
            if (!all_copied) {
                waiting_for =
                    "MM2's progress at the last record of every partition in " + m.offsets_topic();
                return false;
            }
            std::set<std::pair<std::string, int64_t>> synced;
            for (const auto& r : consume_or_empty(src, m.syncs_topic())) {
                auto s = mirror::decode_offset_sync(r.key.value_or(""), r.value.value_or(""));
                if (s) {
                    synced.emplace(s->topic + "-" + std::to_string(s->partition),
                                   s->upstream_offset);
                }
            }
            for (const auto& tail : {std::pair<std::string, int64_t>{a + "-0", kRecordsA - 1},
                                     {a + "-1", kRecordsA - 1},
                                     {b + "-0", kRecordsB - 1}}) {
                if (synced.count(tail) == 0) {
                    waiting_for = "offset sync of " + tail.first + " at " +
                                  std::to_string(tail.second) + " in " + m.syncs_topic();
                    return false;
                }
            }
            const auto checkpoints =
                latest_checkpoints(consume_or_empty(tgt, m.checkpoints_topic()));
            for (const auto* groups : {&m.groups_a, &m.groups_b}) {
                for (const auto& [group, offsets] : *groups) {
                    for (const auto& [tp, upstream] : offsets) {
                        auto it = checkpoints.find({group, m.remote(tp.first), tp.second});
                        // At or right after a partition's last record MM2 is exact too.
                        const bool at_tail =
                            tp.first == a ? upstream >= kRecordsA - 1 : upstream == kRecordsB;
                        if (it == checkpoints.end() ||
                            (at_tail && it->second.downstream_offset != upstream)) {
                            waiting_for = "MM2's checkpoint of " + group + " " + tp.first + "-" +
                                          std::to_string(tp.second);
                            return false;
                        }
                    }
                }
            }
            return true;
        },
        180s, 1000ms);
    if (!mm2.running()) {
        throw std::runtime_error("MirrorMaker 2 exited early:\n" + mm2.log());
    }
    if (!done) {
        throw std::runtime_error("MirrorMaker 2 not done within 180 s, waiting for " + waiting_for +
                                 "\n" + mm2.log());
    }
    mm2.signal(SIGTERM);
    if (!mm2.wait_for(60s)) {
        throw std::runtime_error("MirrorMaker 2 did not stop within 60 s:\n" + mm2.log());
    }

    m.target_a = consume_all(tgt, m.remote(a), 30s);
    m.target_b = consume_all(tgt, m.remote(b), 30s);
    for (const auto& r : consume_all(src, m.syncs_topic(), 30s)) {
        auto s = mirror::decode_offset_sync(r.key.value_or(""), r.value.value_or(""));
        if (!s) {
            throw std::runtime_error("undecodable MM2 offset sync: " + s.error().message);
        }
        m.syncs.push_back(*s);
    }
    const auto raw = consume_all(tgt, m.checkpoints_topic(), 30s);
    m.checkpoints = latest_checkpoints(raw);
    m.checkpoints_end = watermarks(tgt, m.checkpoints_topic()).at(0).second;
    m.progress = read_progress(m);
    return m;
}

// MM2 runs once for both tests; a failure is reported by every test that needs it.
const Mm2Phase& mm2_phase() {
    static std::optional<Mm2Phase> phase;
    static std::string error;
    if (!phase && error.empty()) {
        try {
            phase = run_mm2();
        } catch (const std::exception& e) {
            error = e.what();
        }
    }
    if (!phase) {
        throw std::runtime_error("MM2 phase failed: " + error);
    }
    return *phase;
}

// One row of `kmirror offsets`.
struct Row {
    std::string group;
    std::string topic;
    int32_t partition = 0;
    int64_t source_committed = -1;
    int64_t translated = -1;
    std::string exact; // "yes", "no", "-"
    std::string target_committed;
};

int64_t parse_offset(const std::string& s) {
    return s == "-" ? -1 : std::stoll(s);
}

std::vector<Row> parse_offsets_table(const std::string& output, const std::string& flow) {
    std::vector<Row> rows;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream in(line);
        std::vector<std::string> f;
        for (std::string w; in >> w;) {
            f.push_back(w);
        }
        if (f.size() < 10 || f[0] != flow) {
            continue;
        }
        // FLOW GROUP TOPIC PART SOURCE-OFF SOURCE-LAG TRANSLATED EXACT... TARGET-OFF TARGET-LAG
        rows.push_back(Row{f[1], f[2], std::stoi(f[3]), parse_offset(f[4]), parse_offset(f[6]),
                           f[7], f[f.size() - 2]});
    }
    return rows;
}

TEST(Mm2Interop, OffsetsCommandTranslatesFromMm2SyncsAndCheckpoints) {
    const auto& m = mm2_phase();
    // MM2's syncs are sparse (offset.lag.max = 100): a proof that kmirror read them is that it
    // knows more than MM2's rule gives for the groups between them.
    ASSERT_LT(m.syncs.size(), static_cast<size_t>(2 * kRecordsA + kRecordsB) / 4)
        << "MM2 wrote a sync per record?";
    const auto tgt = plaintext_settings(target_cluster());
    const auto target_ends = watermarks(tgt, m.remote(m.topic_a));

    ChildProcess offsets(KMIRROR_BINARY, {"offsets", m.properties});
    ASSERT_EQ(offsets.wait_for(60s), std::optional<int>(0)) << offsets.log();
    const auto rows = parse_offsets_table(offsets.log(), m.source_alias + "->" + m.target_alias);

    size_t checked = 0;
    for (const auto& [group, committed] : m.groups_a) {
        for (const auto& [tp, upstream] : committed) {
            const auto& [topic, partition] = tp;
            SCOPED_TRACE(group + " " + topic + "-" + std::to_string(partition) + " at " +
                         std::to_string(upstream));
            const Row* row = nullptr;
            for (const auto& r : rows) {
                if (r.group == group && r.topic == topic && r.partition == partition) {
                    row = &r;
                }
            }
            ASSERT_NE(row, nullptr) << offsets.log();
            EXPECT_EQ(row->source_committed, upstream);
            const auto cp = m.checkpoints.find({group, m.remote(topic), partition});
            ASSERT_NE(cp, m.checkpoints.end()) << "MM2 wrote no checkpoint";
            EXPECT_EQ(cp->second.upstream_offset, upstream);
            const int64_t mm2 = cp->second.downstream_offset;
            const int64_t truth = true_target_offset(of_partition(m.source_a, partition),
                                                     of_partition(m.target_a, partition),
                                                     target_ends.at(partition).second, upstream);
            ::testing::Test::RecordProperty(
                group + "-" + std::to_string(partition),
                "mm2=" + std::to_string(mm2) + " kmirror=" + std::to_string(row->translated) +
                    " exact=" + row->exact + " truth=" + std::to_string(truth));
            EXPECT_LE(mm2, truth) << "MM2's own checkpoint skips records?";
            EXPECT_GE(row->translated, mm2) << "behind MM2's checkpoint\n" << offsets.log();
            EXPECT_LE(row->translated, truth) << "records would be skipped\n" << offsets.log();
            // A clean MM2 copy puts consecutive syncs on one line (no upstream gap, MM2 the only
            // writer), which proves every offset between them: exact everywhere.
            EXPECT_EQ(row->exact, "yes") << offsets.log();
            if (row->exact == "yes") {
                EXPECT_EQ(row->translated, truth) << offsets.log();
            }
            EXPECT_EQ(row->target_committed, "-"); // MM2 ran without sync.group.offsets
            ++checked;
        }
    }
    EXPECT_EQ(checked, 6U);
}

TEST(Mm2Interop, KmirrorRunTakesOverFromMm2) {
    const auto& m = mm2_phase();
    const auto src = plaintext_settings(source_cluster());
    const auto tgt = plaintext_settings(target_cluster());
    const std::string& b = m.topic_b;
    const std::string remote = m.remote(b);
    const std::string back = m.group_prefix + "-b-back";
    // While nothing replicates: the source moves on and one group is reset backwards.
    produce(src, b, make_unique_records("B", 1, kRecordsB, kMoreB));
    commit_group_offsets(source_cluster(), back, {{{b, 0}, 40}});
    const std::map<std::string, int64_t> upstream_of = {
        {m.group_prefix + "-b-mid", 150}, {m.group_prefix + "-b-end", kRecordsB}, {back, 40}};
    const auto source_b = consume_all(src, b, 30s);
    ASSERT_EQ(source_b.size(), static_cast<size_t>(kRecordsB + kMoreB));
    // What kmirror resumes from: MM2's progress, flushed before MM2 stopped.
    ASSERT_EQ(m.progress.count({b, 0}), 1U) << "no MM2 progress of " << b << "-0";
    ASSERT_EQ(m.progress.at({b, 0}), kRecordsB - 1);

    // A checkpoint in MM2's format ahead of anything kmirror can translate to, appended after
    // MM2's: a checkpoint task that loaded the topic at start never emits for that group.
    const std::string ahead = m.group_prefix + "-b-ahead";
    const mirror::Checkpoint far{ahead, remote, 0, 100, 1'000'000, ""};
    TestRecord injected;
    injected.partition = 0;
    injected.key = mirror::encode_key(far).value();
    injected.value = mirror::encode_value(far).value();
    const int64_t injected_at = produce(tgt, m.checkpoints_topic(), {injected}).at(0).offset;

    const auto props = write_properties(m, b);
    ChildProcess proc(KMIRROR_BINARY, {"run", props});

    // Done when every source record is on the target and kmirror's latest checkpoint of every
    // group points at the group's next record in the target's current copy.
    std::vector<TestRecord> target;
    std::map<CheckpointKey, mirror::Checkpoint> checkpoints;
    std::string waiting_for;
    const bool done = eventually(
        [&] {
            if (!proc.running()) {
                return true;
            }
            target = consume_all(tgt, remote, 30s);
            std::set<std::string> values;
            for (const auto& r : target) {
                values.insert(r.value.value_or(""));
            }
            for (const auto& s : source_b) {
                if (values.count(s.value.value_or("")) == 0) {
                    waiting_for = "record " + s.value.value_or("") + " on the target";
                    return false;
                }
            }
            checkpoints = latest_checkpoints(consume_all(tgt, m.checkpoints_topic(), 30s));
            for (const auto& [group, upstream] : upstream_of) {
                auto it = checkpoints.find({group, remote, 0});
                if (it == checkpoints.end() || it->second.upstream_offset != upstream) {
                    waiting_for = "a checkpoint of " + group + " at " + std::to_string(upstream);
                    return false;
                }
                // The records from the checkpoint on are the group's unconsumed records, in
                // order, with none skipped.
                const int64_t d = it->second.downstream_offset;
                for (int64_t u = upstream; u < static_cast<int64_t>(source_b.size()); ++u) {
                    const auto i = static_cast<size_t>(d + (u - upstream));
                    if (i >= target.size() ||
                        target[i].value != source_b[static_cast<size_t>(u)].value) {
                        waiting_for = "the checkpoint of " + group + " (" +
                                      std::to_string(upstream) + " -> " + std::to_string(d) +
                                      ") to point at the next copy of its records";
                        return false;
                    }
                }
            }
            return true;
        },
        90s, 1000ms);
    ASSERT_TRUE(proc.running()) << proc.log();
    ASSERT_TRUE(done) << "waiting for " << waiting_for << "\n" << proc.log();

    // How kmirror started: its own progress group on the target is empty at a take-over, so it
    // resumes after MM2's replication progress (Connect's offsets topic).
    const auto duplicates =
        static_cast<int64_t>(target.size()) - static_cast<int64_t>(source_b.size());
    ::testing::Test::RecordProperty("takeover_duplicates", std::to_string(duplicates));
    std::printf("[mm2-interop] kmirror took over from MM2 with %lld duplicate record(s) on %s "
                "(MM2 had copied %d)\n",
                static_cast<long long>(duplicates), remote.c_str(), kRecordsB);
    // It resumes where MM2 stopped: no duplicate, no loss, the source order kept.
    EXPECT_EQ(duplicates, 0);
    ASSERT_EQ(target.size(), source_b.size());
    for (size_t i = 0; i < target.size(); ++i) {
        ASSERT_EQ(target[i].value, source_b[i].value) << "target offset " << target[i].offset;
    }
    EXPECT_NE(proc.log().find("resuming after MirrorMaker 2's progress at offset " +
                              std::to_string(kRecordsB - 1)),
              std::string::npos)
        << proc.log();

    // MM2's checkpoints were loaded first: every checkpoint kmirror wrote for a key MM2 had is
    // either ahead of MM2's (same upstream) or follows a source group that moved back. A group
    // whose MM2 checkpoint is already the right one (e.g. drained, at MM2's exact tail) gets none.
    const auto raw = consume_all(tgt, m.checkpoints_topic(), 30s);
    size_t ours = 0;
    size_t needed = 0;
    for (const auto& [group, upstream] : upstream_of) {
        auto prev = m.checkpoints.find({group, remote, 0});
        const auto& now = checkpoints.at({group, remote, 0});
        if (prev == m.checkpoints.end() || prev->second.upstream_offset != now.upstream_offset ||
            prev->second.downstream_offset != now.downstream_offset) {
            ++needed;
        }
    }
    for (const auto& r : raw) {
        if (r.offset < m.checkpoints_end || r.offset == injected_at) {
            continue;
        }
        auto c = mirror::decode_checkpoint(r.key.value_or(""), r.value.value_or(""));
        ASSERT_TRUE(c) << c.error().message;
        EXPECT_NE(c->group, ahead) << "behind the loaded checkpoint: " << mirror::to_string(*c);
        auto prev = m.checkpoints.find({c->group, c->topic, c->partition});
        if (prev == m.checkpoints.end()) {
            continue;
        }
        ++ours;
        SCOPED_TRACE(mirror::to_string(*c) + " after MM2's " + mirror::to_string(prev->second));
        if (c->upstream_offset >= prev->second.upstream_offset) {
            EXPECT_GT(c->downstream_offset, prev->second.downstream_offset)
                << "a checkpoint behind (or repeating) MM2's";
        } else {
            EXPECT_EQ(c->group, back) << "only that group moved back";
        }
    }
    EXPECT_GE(ours, needed);
    EXPECT_GE(needed, 1U) << "the group moved back needs a checkpoint of kmirror's";

    proc.signal(SIGTERM);
    ASSERT_EQ(proc.wait_for(20s), std::optional<int>(0)) << proc.log();
}

} // namespace
} // namespace kmirror::testing
