// The singletons of a flow (checkpoints, heartbeats) under process failure, and exact offset
// translation across compaction of the offset-syncs topic (docs/adr/0004, points 5 and 8),
// against the test bed's real brokers. Every test uses cluster aliases of its own, so its leader
// group, checkpoints, offset syncs and offset runs topics are its own.
#include "kafka/admin.h"
#include "mirror/formats.h"
#include "mirror/offset_runs.h"
#include "support/kafka_ops.h"
#include "support/testbed.h"

#include <chrono>
#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string write_mm2(const Aliases& a, const std::string& topics, const std::string& groups,
                      const std::string& extra = "") {
    const std::string path = "/tmp/" + unique_name("mm2-failover") + ".properties";
    std::ofstream out(path);
    out << "clusters = " << a.source << ", " << a.target << "\n"
        << a.source << ".bootstrap.servers = " << source_cluster().plaintext << "\n"
        << a.target << ".bootstrap.servers = " << target_cluster().plaintext << "\n"
        << a.source << "->" << a.target << ".enabled = true\n"
        << a.source << "->" << a.target << ".topics = " << topics << "\n"
        << a.source << "->" << a.target << ".groups = " << groups << "\n"
        << "replication.factor = 1\n"
        << "offset-syncs.topic.replication.factor = 1\n"
        << "checkpoints.topic.replication.factor = 1\n"
        << "heartbeats.topic.replication.factor = 1\n"
        << "refresh.topics.interval.seconds = 2\n"
        << "emit.checkpoints.interval.seconds = 1\n"
        << "emit.heartbeats.interval.seconds = 1\n"
        << "sync.group.offsets.enabled = false\n"
        << "offset.flush.interval.ms = 200\n"
        << "admin.timeout.ms = 10000\n"
        << "kmirror.progress.group.id = " << unique_name("kmirror-progress") << "\n"
        << extra;
    return path;
}

// Commits `offset` for topic-partition 0 for `group` on the source.
void commit(const std::string& group, const std::string& topic, int64_t offset) {
    commit_group_offsets(source_cluster(), group, {{{topic, 0}, offset}});
}

// The checkpoints of `group`, in topic order (empty while the topic does not exist yet).
std::vector<mirror::Checkpoint> checkpoints_of(const std::string& topic, const std::string& group) {
    std::vector<mirror::Checkpoint> out;
    std::vector<TestRecord> records;
    try {
        records = consume_all(plaintext_settings(target_cluster()), topic, 30s);
    } catch (const std::exception&) {
        return out;
    }
    for (const auto& r : records) {
        auto c = mirror::decode_checkpoint(r.key.value_or(""), r.value.value_or(""));
        if (!c) {
            throw std::runtime_error("topic '" + topic + "' offset " + std::to_string(r.offset) +
                                     ": undecodable checkpoint: " + c.error().message);
        }
        if (c->group == group) {
            out.push_back(*c);
        }
    }
    return out;
}

bool has_checkpoint(const std::string& topic, const std::string& group, int64_t upstream,
                    int64_t downstream) {
    for (const auto& c : checkpoints_of(topic, group)) {
        if (c.upstream_offset == upstream && c.downstream_offset == downstream) {
            return true;
        }
    }
    return false;
}

// Timestamps of the heartbeats (source, target) on the target's `heartbeats` topic.
std::vector<int64_t> heartbeats(const Aliases& a) {
    std::vector<int64_t> out;
    std::vector<TestRecord> records;
    try {
        records = consume_all(plaintext_settings(target_cluster()), "heartbeats", 30s);
    } catch (const std::exception&) {
        return out;
    }
    for (const auto& r : records) {
        auto hb = mirror::decode_heartbeat(r.key.value_or(""), r.value.value_or(""));
        if (hb && hb->source_alias == a.source && hb->target_alias == a.target) {
            out.push_back(hb->timestamp);
        }
    }
    return out;
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Whether the process's log says it runs the flow's checkpoints and heartbeats now (the last
// leadership line of leader_elector.cpp).
bool leads(const ChildProcess& proc) {
    const std::string log = proc.log();
    const auto last = [&log](const char* line) {
        const auto pos = log.rfind(line);
        return pos == std::string::npos ? -1 : static_cast<int64_t>(pos);
    };
    const int64_t won = last("now runs checkpoints and heartbeats");
    const int64_t lost = std::max(last("leadership of checkpoints and heartbeats revoked"),
                                  last("checkpoints and heartbeats run in another process"));
    return won > lost;
}

size_t leader_group_members(const Aliases& a) {
    const std::string group = "kmirror-leader-" + a.source + "-" + a.target;
    auto described = admin_for(target_cluster()).describe_consumer_groups({group}, 10s);
    if (!described) {
        return 0;
    }
    auto it = described->find(group);
    return it == described->end() ? 0 : it->second.members;
}

ChildProcess start_kmirror(const std::string& mm2) {
    return ChildProcess(KMIRROR_BINARY,
                        {"run", mm2, "--metrics-port", std::to_string(free_loopback_port())});
}

// The one process of `procs` that leads, once exactly the same one has for 2 s (a rebalance
// after a join may move leadership); nullptr when that does not happen within 30 s.
ChildProcess* await_single_leader(const std::vector<ChildProcess*>& procs) {
    ChildProcess* leader = nullptr;
    auto since = Clock::now();
    const bool stable = eventually(
        [&] {
            ChildProcess* now = nullptr;
            int count = 0;
            for (auto* p : procs) {
                if (leads(*p)) {
                    now = p;
                    ++count;
                }
            }
            if (count != 1 || now != leader) {
                leader = count == 1 ? now : nullptr;
                since = Clock::now();
                return false;
            }
            return Clock::now() - since >= 2s;
        },
        30s, 200ms);
    return stable ? leader : nullptr;
}

std::string logs(const std::vector<ChildProcess*>& procs) {
    std::string out;
    for (auto* p : procs) {
        out += "---- kmirror pid " + std::to_string(p->pid()) + " ----\n" + p->log();
    }
    return out;
}

// Two processes share the flow; kill -9 of the leader hands checkpoints and heartbeats to the
// other within the group session timeout (10 s) + margin, and checkpoints never go backwards.
// Then a third process joins and a SIGTERM of the leader hands over at once (it leaves the
// group).
TEST(Failover, LeaderKilledThenStoppedHandsCheckpointsAndHeartbeatsOver) {
    const auto a = unique_aliases("f");
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = unique_name("fo-data");
    create_topic(src, topic, 1);
    produce(src, topic, make_records(200, 1, "failover"));
    const std::string group = unique_name("fo-group");
    commit(group, topic, 50);
    const std::string checkpoints = a.source + ".checkpoints.internal";
    const auto mm2 = write_mm2(a, topic, group);

    auto first = start_kmirror(mm2);
    ASSERT_TRUE(eventually([&] { return leads(first); }, 60s)) << first.log();
    auto second = start_kmirror(mm2);
    std::vector<ChildProcess*> both = {&first, &second};
    ASSERT_TRUE(eventually([&] { return leader_group_members(a) == 2; }, 30s, 500ms)) << logs(both);
    ChildProcess* leader = await_single_leader(both);
    ASSERT_NE(leader, nullptr) << logs(both);
    ChildProcess* survivor = leader == &first ? &second : &first;
    ASSERT_TRUE(eventually([&] { return has_checkpoint(checkpoints, group, 50, 50); }, 60s))
        << logs(both);
    ASSERT_TRUE(eventually([&] { return !heartbeats(a).empty(); }, 30s)) << logs(both);

    // kill -9: nobody leaves the group; the coordinator notices after session.timeout.ms.
    leader->signal(SIGKILL);
    ASSERT_TRUE(leader->wait_for(10s).has_value());
    const auto killed_at = Clock::now();
    const int64_t killed_at_ms = now_ms();
    commit(group, topic, 120);
    ASSERT_TRUE(
        eventually([&] { return has_checkpoint(checkpoints, group, 120, 120); }, 40s, 250ms))
        << survivor->log();
    const auto takeover = Clock::now() - killed_at;
    ::testing::Test::RecordProperty(
        "takeover_ms",
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count()));
    EXPECT_LT(takeover, 25s) << "session timeout 10 s + one emission interval + margin";
    EXPECT_TRUE(leads(*survivor)) << survivor->log();
    EXPECT_TRUE(eventually(
        [&] {
            for (int64_t ts : heartbeats(a)) {
                if (ts > killed_at_ms) {
                    return true;
                }
            }
            return false;
        },
        15s))
        << "heartbeats stopped after the kill\n"
        << survivor->log();

    // Graceful: a third process joins; SIGTERM of whoever leads then hands over at once.
    auto third = start_kmirror(mm2);
    std::vector<ChildProcess*> pair = {survivor, &third};
    ASSERT_TRUE(eventually([&] { return leader_group_members(a) == 2; }, 30s, 500ms)) << logs(pair);
    ChildProcess* leader2 = await_single_leader(pair);
    ASSERT_NE(leader2, nullptr) << logs(pair);
    ChildProcess* other = leader2 == survivor ? &third : survivor;
    ASSERT_TRUE(eventually([&] { return has_checkpoint(checkpoints, group, 120, 120); }, 5s));
    leader2->signal(SIGTERM);
    ASSERT_EQ(leader2->wait_for(20s), std::optional<int>(0)) << leader2->log();
    const auto stopped_at = Clock::now();
    commit(group, topic, 170);
    ASSERT_TRUE(
        eventually([&] { return has_checkpoint(checkpoints, group, 170, 170); }, 30s, 200ms))
        << other->log();
    const auto handover = Clock::now() - stopped_at;
    ::testing::Test::RecordProperty(
        "handover_ms",
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(handover).count()));
    EXPECT_LT(handover, 8s) << "a planned stop must not wait for the session timeout (10 s)";
    EXPECT_TRUE(leads(*other)) << other->log();

    // Across both leader changes, the group's checkpoints only went forward.
    const auto history = checkpoints_of(checkpoints, group);
    ASSERT_GE(history.size(), 3U);
    for (size_t i = 1; i < history.size(); ++i) {
        EXPECT_GE(history[i].upstream_offset, history[i - 1].upstream_offset) << i;
        EXPECT_GE(history[i].downstream_offset, history[i - 1].downstream_offset) << i;
    }
    EXPECT_EQ(history.back().downstream_offset, 170);
}

// ---- Exactness across compaction of the offset-syncs topic ---------------------------------

std::vector<mirror::OffsetSync> syncs_of(const std::string& syncs_topic, const std::string& topic) {
    std::vector<mirror::OffsetSync> out;
    for (const auto& r : consume_all(plaintext_settings(source_cluster()), syncs_topic, 30s)) {
        auto s = mirror::decode_offset_sync(r.key.value_or(""), r.value.value_or(""));
        if (s && s->topic == topic) {
            out.push_back(*s);
        }
    }
    return out;
}

// A one-partition topic of transactions, committed and aborted: 0-4 data, 5 marker, 6-10
// aborted, 11 marker, 12-16 data, 17 marker, 18-20 aborted, 21 marker, 22-25 data, 26 marker.
// Its replica holds 0-4, 5-9, 10-13 (source 0-4, 12-16, 22-25): holes the offset syncs prove.
std::string holey_transactional_topic(const kafka::Settings& src, const std::string& prefix) {
    const std::string topic = unique_name(prefix);
    create_topic(src, topic, 1);
    produce_transactions(src, topic,
                         {{TxnOutcome::commit, 5},
                          {TxnOutcome::abort, 5},
                          {TxnOutcome::commit, 5},
                          {TxnOutcome::abort, 3},
                          {TxnOutcome::commit, 4}});
    return topic;
}

// The offset runs of `topic` the runs topic holds now (tombstones applied): upstream_lo ->
// upstream_hi.
std::map<int64_t, int64_t> live_runs_of(const std::string& runs_topic, const std::string& topic) {
    std::map<int64_t, int64_t> live;
    std::vector<TestRecord> records;
    try {
        records = consume_all(plaintext_settings(target_cluster()), runs_topic, 30s);
    } catch (const std::exception&) {
        return live;
    }
    for (const auto& r : records) {
        auto k = mirror::decode_run_key(r.key.value_or(""));
        if (!k || std::get<0>(*k) != topic) {
            continue;
        }
        if (!r.value.has_value()) {
            live.erase(std::get<2>(*k));
        } else if (auto run = mirror::decode_run(*r.key, *r.value)) {
            live[run->upstream_lo] = run->upstream_hi;
        }
    }
    return live;
}

size_t runs_of(const std::string& runs_topic, const std::string& topic) {
    return live_runs_of(runs_topic, topic).size();
}

// One row of `kmirror offsets` for `group`: the TRANSLATED and EXACT columns.
struct OffsetsRow {
    std::string translated;
    std::string exact;
};

std::optional<OffsetsRow> offsets_row(const std::string& mm2, const std::string& group) {
    ChildProcess proc(KMIRROR_BINARY, {"offsets", mm2, "--group", group});
    if (proc.wait_for(60s) != std::optional<int>(0)) {
        throw std::runtime_error("kmirror offsets failed:\n" + proc.log());
    }
    std::istringstream lines(proc.log());
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string s; words >> s;) {
            w.push_back(s);
        }
        if (w.size() >= 8 && w[1] == group) {
            return OffsetsRow{w[6], w[7]};
        }
    }
    return std::nullopt;
}

// A transactional topic (aborted transactions and markers: holes in the offsets the target
// receives), its offset syncs compacted down to the latest one: a restarted kmirror still
// translates a group inside an aborted transaction exactly, from the offset runs topic; without
// it (another source alias: another, empty runs topic) only MM2's rule would answer.
TEST(Failover, ExactTranslationSurvivesCompactionOfTheOffsetSyncs) {
    const auto a = unique_aliases("f");
    const auto src = plaintext_settings(source_cluster());
    const std::string syncs_topic = "mm2-offset-syncs." + a.target + ".internal";
    // Aggressive compaction: every append after 100 ms rolls a segment, any dirt is cleanable.
    create_topic(src, syncs_topic, 1,
                 {{"cleanup.policy", "compact"},
                  {"segment.ms", "100"},
                  {"min.cleanable.dirty.ratio", "0.001"},
                  {"min.compaction.lag.ms", "0"},
                  {"delete.retention.ms", "100"}});
    const std::string topic = holey_transactional_topic(src, "fo-txn");
    const std::string group = unique_name("fo-hole");
    commit(group, topic, 8); // inside the first aborted transaction: resumes at target 5
    const std::string checkpoints = a.source + ".checkpoints.internal";
    const std::string runs_topic = mirror::offset_runs_topic(a.source);
    const auto mm2 = write_mm2(a, topic, group + ".*"); // also `late` below

    {
        auto proc = start_kmirror(mm2);
        ASSERT_TRUE(eventually([&] { return has_checkpoint(checkpoints, group, 8, 5); }, 60s))
            << proc.log();
        // The hole 5..12 -> 5 is proved by the syncs (4, 4) and (12, 5), then persisted.
        ASSERT_TRUE(eventually([&] { return runs_of(runs_topic, topic) >= 3; }, 30s)) << proc.log();
        proc.signal(SIGTERM);
        ASSERT_EQ(proc.wait_for(20s), std::optional<int>(0)) << proc.log();
    }

    // Compaction (the cleaner may have run already): appends of another key roll segments until
    // the cleaner removed every sync that proved the hole (only the latest sync of the
    // partition is kept).
    int rolls = 0;
    std::vector<mirror::OffsetSync> left;
    const bool compacted = eventually(
        [&] {
            const mirror::OffsetSync roll{unique_name("roll"), 0, rolls, rolls};
            ++rolls;
            produce(
                src, syncs_topic,
                {TestRecord{0, -1, *mirror::encode_key(roll), *mirror::encode_value(roll), {}, 0}});
            left = syncs_of(syncs_topic, topic);
            for (const auto& s : left) {
                if (s.upstream_offset <= 12) {
                    return false;
                }
            }
            return true;
        },
        90s, 1000ms);
    const int64_t written = watermarks(src, syncs_topic).at(0).second;
    const auto readable = consume_all(src, syncs_topic, 30s).size();
    ASSERT_TRUE(compacted) << "the broker's log cleaner did not compact '" << syncs_topic
                           << "' within 90 s (log.cleaner.backoff.ms of the test bed?); "
                           << left.size() << " syncs of the topic left";
    EXPECT_LT(static_cast<int64_t>(readable), written) << "nothing was compacted";
    ::testing::Test::RecordProperty("syncs_topic_end_offset", std::to_string(written));
    ::testing::Test::RecordProperty("syncs_readable", std::to_string(readable));
    ::testing::Test::RecordProperty("rolls", std::to_string(rolls));

    // The operator command after the compaction: exact, target offset 5.
    auto row = offsets_row(mm2, group);
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->translated, "5");
    EXPECT_EQ(row->exact, "yes");

    // The control: the same syncs without the runs (another source alias reads another runs
    // topic) are not exact any more.
    const Aliases other{a.source + "x", a.target};
    const auto mm2_without_runs = write_mm2(other, topic, group);
    auto control = offsets_row(mm2_without_runs, group);
    ASSERT_TRUE(control.has_value());
    EXPECT_NE(control->exact, "yes") << "the test cannot tell runs from syncs";

    // A restarted kmirror checkpoints a group committed in the hole now, exactly (and the
    // first group's checkpoint does not move).
    const std::string late = group + "-late";
    commit(late, topic, 7);
    auto proc = start_kmirror(mm2); // same progress group: nothing is copied again

    EXPECT_TRUE(eventually([&] { return has_checkpoint(checkpoints, late, 7, 5); }, 60s))
        << proc.log();
    EXPECT_NE(proc.log().find("offset run(s) loaded from '" + runs_topic + "'"), std::string::npos)
        << proc.log();
    for (const auto& c : checkpoints_of(checkpoints, group)) {
        EXPECT_EQ(c.downstream_offset, 5) << "upstream " << c.upstream_offset;
    }
}

// Retention deletes the oldest records of a transactional topic: the offset runs that covered
// them are forgotten and tombstoned in the runs topic (without this, one run per transaction
// would stay for ever), while a group at or above the new log start still translates exactly.
TEST(Failover, OffsetRunsBelowTheSourceLogStartAreForgottenAndTombstoned) {
    const auto a = unique_aliases("f");
    const auto src = plaintext_settings(source_cluster());
    const std::string topic = holey_transactional_topic(src, "fo-prune");
    const std::string group = unique_name("fo-prune");
    const std::string checkpoints = a.source + ".checkpoints.internal";
    const std::string runs_topic = mirror::offset_runs_topic(a.source);
    const auto mm2 =
        write_mm2(a, topic, group + ".*", "kmirror.offset.runs.prune.interval.seconds = 1\n");
    auto proc = start_kmirror(mm2);
    std::map<int64_t, int64_t> before;
    ASSERT_TRUE(eventually(
        [&] {
            before = live_runs_of(runs_topic, topic);
            return before.size() >= 3 && before.rbegin()->second >= 25;
        },
        60s))
        << proc.log();

    constexpr int64_t kLogStart = 22; // first record of the last committed transaction
    delete_records_before(src, topic, 0, kLogStart);
    std::map<int64_t, int64_t> after;
    const bool forgotten = eventually(
        [&] {
            after = live_runs_of(runs_topic, topic);
            return !after.empty() && after.size() < before.size() &&
                   after.begin()->second >= kLogStart;
        },
        60s);
    ASSERT_TRUE(forgotten) << "live runs before: " << before.size() << ", after: " << after.size()
                           << "\n"
                           << proc.log();
    EXPECT_LE(after.begin()->first, kLogStart) << "the run covering the log start must stay";
    EXPECT_NE(proc.log().find("offset run(s) below the source log start"), std::string::npos)
        << proc.log();

    // Above the log start translations stay exact: 23 -> 11 (22..25 -> 10..13).
    commit(group, topic, 23);
    EXPECT_TRUE(eventually([&] { return has_checkpoint(checkpoints, group, 23, 11); }, 60s))
        << proc.log();
    proc.signal(SIGTERM);
    EXPECT_EQ(proc.wait_for(20s), std::optional<int>(0)) << proc.log();
}

} // namespace
} // namespace kmirror::testing
