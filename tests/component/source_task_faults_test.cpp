// Component tier: MirrorSourceTask between two librdkafka mock clusters, with faults injected
// where real brokers can't be told to misbehave on cue (request errors, a broker going down).
// The assertion is the user-visible one: every source record arrives, in order, exactly once
// per partition after retriable errors.
#include "config/connector_config.h"
#include "kafka/client.h"
#include "mirror/source_task.h"

#include <chrono>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace kmirror::mirror {
namespace {

using namespace std::chrono_literals;

constexpr int16_t kProduceApiKey = 0; // Kafka protocol ApiKeys
constexpr int16_t kInitProducerIdApiKey = 22;

// A mock cluster lives inside a throwaway producer handle.
class MockCluster {
public:
    explicit MockCluster(int brokers) {
        char errstr[256];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
        host_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr));
        cluster_ = rd_kafka_mock_cluster_new(host_.get(), brokers);
        bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
    }
    ~MockCluster() { rd_kafka_mock_cluster_destroy(cluster_); }
    MockCluster(const MockCluster&) = delete;
    MockCluster& operator=(const MockCluster&) = delete;

    rd_kafka_mock_cluster_t* get() const { return cluster_; }
    const std::string& bootstraps() const { return bootstraps_; }

private:
    kafka::HandlePtr host_;
    rd_kafka_mock_cluster_t* cluster_ = nullptr;
    std::string bootstraps_;
};

kafka::Settings quiet(const std::string& bootstraps) {
    return {{"bootstrap.servers", bootstraps}, {"log_level", "3"}};
}

// `batch_records` > 0: at most that many records per batch (fetched batches are forwarded as
// they are, so small ones let a test stop the batch path mid-copy).
void produce_values(const std::string& bootstraps, const std::string& topic, int partitions,
                    int per_partition, int batch_records = 0) {
    kafka::Settings settings = quiet(bootstraps);
    if (batch_records > 0) {
        settings.emplace_back("batch.num.messages", std::to_string(batch_records));
    }
    auto producer = kafka::make_producer({"mock", "test-producer", settings});
    ASSERT_TRUE(producer.ok()) << producer.error().message;
    for (int p = 0; p < partitions; ++p) {
        for (int i = 0; i < per_partition; ++i) {
            std::string value = "p" + std::to_string(p) + "-" + std::to_string(i);
            rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
            do { // small batches fill the producer's queue: wait for deliveries then
                err = rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                                        RD_KAFKA_V_PARTITION(p),
                                        RD_KAFKA_V_VALUE(value.data(), value.size()),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
                     rd_kafka_poll(producer->get(), 100) >= 0);
            ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR);
        }
    }
    ASSERT_EQ(rd_kafka_flush(producer->get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

// Values per partition, read from the beginning up to `expected` records in total.
std::map<int32_t, std::vector<std::string>> read_values(const std::string& bootstraps,
                                                        const std::string& topic, int partitions,
                                                        size_t expected,
                                                        std::chrono::milliseconds timeout) {
    kafka::Settings s = quiet(bootstraps);
    s.emplace_back("group.id", "reader");
    s.emplace_back("enable.auto.commit", "false");
    auto consumer = kafka::make_consumer({"mock", "test-reader", s});
    EXPECT_TRUE(consumer.ok());
    auto list = kafka::make_partition_list();
    for (int p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(consumer->get(), list.get());
    std::map<int32_t, std::vector<std::string>> out;
    size_t total = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (total < expected && std::chrono::steady_clock::now() < deadline) {
        kafka::MessagePtr m(rd_kafka_consumer_poll(consumer->get(), 200));
        if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }
        out[m->partition].emplace_back(static_cast<const char*>(m->payload), m->len);
        ++total;
    }
    kafka::close_consumer(consumer.value());
    return out;
}

struct Fixture {
    MockCluster source{1};
    MockCluster target{3};
    config::MirrorSourceSettings settings;
    SourceTaskClients clients;

    // `batches`: the batch path (mirror/batch_forwarder.h), else record by record.
    explicit Fixture(bool batches) {
        settings.batch_forwarding = batches;
        settings.source_alias = "source";
        settings.target_alias = "target";
        settings.progress_group = "kmirror-component";
        settings.progress_commit_interval = 200ms;
        settings.admin_timeout = 5s;
        clients.source_consumer = {"source",
                                   "replication-consumer",
                                   {{"bootstrap.servers", source.bootstraps()},
                                    {"log_level", "3"},
                                    {"group.id", "kmirror-component.assign"},
                                    {"enable.auto.commit", "false"},
                                    {"enable.partition.eof", "false"}}};
        clients.target_producer = {"target",
                                   "replication-producer",
                                   {{"bootstrap.servers", target.bootstraps()},
                                    {"log_level", "3"},
                                    {"enable.idempotence", "true"},
                                    {"acks", "all"},
                                    {"message.timeout.ms", "0"},
                                    {"retry.backoff.ms", "20"}}};
        clients.target_group = {"target",
                                "replication-group",
                                {{"bootstrap.servers", target.bootstraps()},
                                 {"log_level", "3"},
                                 {"group.id", settings.progress_group},
                                 {"partition.assignment.strategy", "cooperative-sticky"},
                                 {"enable.auto.commit", "false"},
                                 {"session.timeout.ms", "6000"}}};
    }
};

// Runs a task on its own thread until `done()` or the timeout, then stops it cleanly.
template <class Done>
Status run_task(MirrorSourceTask& task, Done done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll_interval = 50ms) {
    Status outcome;
    std::thread worker([&] { outcome = task.run(); });
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(poll_interval); // polling a condition with a deadline
    }
    task.request_stop();
    worker.join();
    return outcome;
}

// Every test runs on both copy paths.
class SourceTaskFaults : public ::testing::TestWithParam<bool> {};

TEST_P(SourceTaskFaults, RetriableProduceErrorsLoseAndReorderNothing) {
    Fixture f(GetParam());
    const std::string topic = "orders";
    rd_kafka_mock_topic_create(f.source.get(), topic.c_str(), 3, 1);
    rd_kafka_mock_topic_create(f.target.get(), topic.c_str(), 3, 3);
    produce_values(f.source.bootstraps(), topic, 3, 400);
    // The target refuses a burst of produce requests with retriable errors.
    rd_kafka_mock_push_request_errors(
        f.target.get(), kProduceApiKey, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND);

    auto stats = std::make_shared<SourceTaskStats>();
    auto task = MirrorSourceTask::create(f.settings, f.clients, stats);
    ASSERT_TRUE(task.ok()) << task.error().message;
    (*task)->set_topics({{topic, TopicMapping{topic, 3}}});
    auto outcome = run_task(
        **task, [&] { return stats->records_copied.load() >= 1200; }, 60s);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    ASSERT_EQ(stats->records_copied.load(), 1200u);
    // The path the parameter names did the copying.
    EXPECT_EQ(stats->batches_forwarded.load() > 0, GetParam());

    auto values = read_values(f.target.bootstraps(), topic, 3, 1200, 30s);
    for (int p = 0; p < 3; ++p) {
        ASSERT_EQ(values[p].size(), 400u) << "partition " << p;
        for (int i = 0; i < 400; ++i) {
            ASSERT_EQ(values[p][i], "p" + std::to_string(p) + "-" + std::to_string(i))
                << "partition " << p << " position " << i << ": order or content broken";
        }
    }
}

TEST_P(SourceTaskFaults, TargetLeaderDownThenBackResumesWithoutLoss) {
    Fixture f(GetParam());
    const std::string topic = "payments";
    rd_kafka_mock_topic_create(f.source.get(), topic.c_str(), 2, 1);
    rd_kafka_mock_topic_create(f.target.get(), topic.c_str(), 2, 3);
    produce_values(f.source.bootstraps(), topic, 2, 300);
    // Partition 0's leader on the target is broker 1; it goes down while replication starts.
    rd_kafka_mock_partition_set_leader(f.target.get(), topic.c_str(), 0, 1);
    rd_kafka_mock_partition_set_leader(f.target.get(), topic.c_str(), 1, 2);

    auto stats = std::make_shared<SourceTaskStats>();
    auto task = MirrorSourceTask::create(f.settings, f.clients, stats);
    ASSERT_TRUE(task.ok()) << task.error().message;
    (*task)->set_topics({{topic, TopicMapping{topic, 2}}});
    std::thread chaos([&] {
        std::this_thread::sleep_for(300ms); // let replication start first
        rd_kafka_mock_broker_set_down(f.target.get(), 1);
        std::this_thread::sleep_for(2s);
        rd_kafka_mock_partition_set_leader(f.target.get(), topic.c_str(), 0, 3);
        rd_kafka_mock_broker_set_up(f.target.get(), 1);
    });
    auto outcome = run_task(
        **task, [&] { return stats->records_copied.load() >= 600; }, 60s);
    chaos.join();
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    auto values = read_values(f.target.bootstraps(), topic, 2, 600, 30s);
    for (int p = 0; p < 2; ++p) {
        ASSERT_EQ(values[p].size(), 300u) << "partition " << p;
        for (int i = 0; i < 300; ++i) {
            ASSERT_EQ(values[p][i], "p" + std::to_string(p) + "-" + std::to_string(i));
        }
    }
}

// Stopping a task while it copies (what SIGTERM does) must release every polled record exactly
// once and commit exactly what was acknowledged: stopped and restarted three times mid-copy, the
// target ends up with every record once, in order. (A record handed to the producer and then
// destroyed again at stop crashed the process.)
TEST_P(SourceTaskFaults, StopAndRestartMidCopyKeepsEveryRecordOnce) {
    Fixture f(GetParam());
    const std::string topic = "orders";
    constexpr int kPartitions = 4;
    constexpr int kPerPartition = 50000;
    constexpr int kTotal = kPartitions * kPerPartition;
    rd_kafka_mock_topic_create(f.source.get(), topic.c_str(), kPartitions, 1);
    rd_kafka_mock_topic_create(f.target.get(), topic.c_str(), kPartitions, 3);
    produce_values(f.source.bootstraps(), topic, kPartitions, kPerPartition, 100);
    // Small client queues, so a stop finds records polled, queued and in flight, not a done copy.
    f.clients.target_producer.settings.emplace_back("queue.buffering.max.messages", "2000");
    // Small batches: most records wait in the task for their partition's batch to be
    // acknowledged (the per-partition gate), so a stop also finds held records.
    f.clients.target_producer.settings.emplace_back("batch.size", "4096");
    f.settings.tasks_max = 3; // three producer connections: a partition stays on one of them
    f.clients.source_consumer.settings.emplace_back("queued.max.messages.kbytes", "64");
    f.clients.source_consumer.settings.emplace_back("max.partition.fetch.bytes", "16384");

    int64_t copied = 0;
    for (int round = 1; round <= 4; ++round) {
        auto stats = std::make_shared<SourceTaskStats>();
        auto task = MirrorSourceTask::create(f.settings, f.clients, stats);
        ASSERT_TRUE(task.ok()) << task.error().message;
        (*task)->set_topics({{topic, TopicMapping{topic, kPartitions}}});
        // Rounds 1-3 stop after a few thousand more records; round 4 runs to the end.
        const int64_t stop_after = round < 4 ? 3000 : kTotal - copied;
        auto outcome = run_task(
            **task,
            [&] { return static_cast<int64_t>(stats->records_copied.load()) >= stop_after; }, 60s,
            1ms);
        ASSERT_TRUE(outcome.ok()) << "round " << round << ": " << outcome.error().message;
        copied += static_cast<int64_t>(stats->records_copied.load());
        if (round < 4) {
            ASSERT_LT(copied, kTotal) << "the topic is too small to stop mid-copy";
        }
    }
    auto values = read_values(f.target.bootstraps(), topic, kPartitions, kTotal, 30s);
    for (int p = 0; p < kPartitions; ++p) {
        ASSERT_EQ(values[p].size(), static_cast<size_t>(kPerPartition)) << "partition " << p;
        for (int i = 0; i < kPerPartition; ++i) {
            ASSERT_EQ(values[p][i], "p" + std::to_string(p) + "-" + std::to_string(i))
                << "partition " << p;
        }
    }
    EXPECT_EQ(copied, kTotal) << "records acknowledged across the rounds (a re-copy shows here)";
}

// A target that refuses the forwarder a producer id (here: not authorized, once) gets every
// partition copied record by record instead; nothing stalls.
// Committed progress of the task's group on the target, per partition (-1: none).
std::map<int32_t, int64_t> committed_progress(const Fixture& f, const std::string& topic,
                                              int partitions) {
    kafka::Settings s = quiet(f.target.bootstraps());
    s.emplace_back("group.id", f.settings.progress_group);
    auto reader = kafka::make_consumer({"mock", "test-progress-reader", s});
    EXPECT_TRUE(reader.ok());
    auto list = kafka::make_partition_list();
    for (int p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
    }
    std::map<int32_t, int64_t> out;
    if (rd_kafka_committed(reader->get(), list.get(), 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < list->cnt; ++i) {
            out[list->elems[i].partition] = list->elems[i].offset;
        }
    }
    kafka::close_consumer(reader.value());
    return out;
}

// The periodic progress commit waits for the offset syncs before it (exact translation must
// survive a crash), but not on the task's thread: with the offset-syncs cluster down, copying
// goes on at full speed and nothing is committed; once the syncs are written, the progress is
// committed while the task runs (ADR 0008).
TEST_P(SourceTaskFaults, ProgressCommitWaitsForOffsetSyncsWithoutStoppingTheCopy) {
    Fixture f(GetParam());
    MockCluster syncs{1};
    const std::string topic = "orders";
    const std::string syncs_topic = "mm2-offset-syncs.target.internal";
    rd_kafka_mock_topic_create(f.source.get(), topic.c_str(), 3, 1);
    rd_kafka_mock_topic_create(f.target.get(), topic.c_str(), 3, 3);
    rd_kafka_mock_topic_create(syncs.get(), syncs_topic.c_str(), 1, 1);
    f.clients.offset_syncs_producer = kafka::ClientSpec{"syncs",
                                                        "offset-syncs-producer",
                                                        {{"bootstrap.servers", syncs.bootstraps()},
                                                         {"log_level", "0"},
                                                         {"enable.idempotence", "true"},
                                                         {"acks", "all"},
                                                         {"linger.ms", "5"},
                                                         {"retry.backoff.ms", "20"}}};
    f.clients.offset_syncs_topic = syncs_topic;
    produce_values(f.source.bootstraps(), topic, 3, 100);
    rd_kafka_mock_broker_set_down(syncs.get(), 1);

    auto stats = std::make_shared<SourceTaskStats>();
    auto task = MirrorSourceTask::create(f.settings, f.clients, stats);
    ASSERT_TRUE(task.ok()) << task.error().message;
    (*task)->set_topics({{topic, TopicMapping{topic, 3}}});
    std::map<int32_t, int64_t> while_down;
    std::map<int32_t, int64_t> after_up;
    int phase = 0; // 0: first half copying, 1: second half copying, 2: syncs cluster up again
    auto outcome = run_task(
        **task,
        [&] {
            if (phase == 0) {
                if (stats->records_copied.load() < 300) {
                    return false;
                }
                // Commit intervals (200 ms) pass with progress to commit and its offset syncs
                // unwritten; then more records come.
                std::this_thread::sleep_for(500ms); // the task runs meanwhile
                produce_values(f.source.bootstraps(), topic, 3, 100);
                phase = 1;
            }
            if (phase == 1) {
                if (stats->records_copied.load() < 600) {
                    return false;
                }
                std::this_thread::sleep_for(1s); // several more intervals
                while_down = committed_progress(f, topic, 3);
                rd_kafka_mock_broker_set_up(syncs.get(), 1);
                phase = 2;
            }
            after_up = committed_progress(f, topic, 3);
            for (int p = 0; p < 3; ++p) {
                if (after_up[p] != 200) {
                    return false;
                }
            }
            return true;
        },
        6s, 100ms);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    // A wait for the syncs on the task's thread (the flush it replaced timed out after 10 s)
    // holds the second half back past the deadline.
    ASSERT_EQ(phase, 2) << stats->records_copied.load() << " of 600 records copied";
    for (int p = 0; p < 3; ++p) {
        EXPECT_LT(while_down[p], 0) << "partition " << p << ": progress " << while_down[p]
                                    << " committed before its offset syncs were written";
        EXPECT_EQ(after_up[p], 200) << "partition " << p;
    }
    EXPECT_GT(stats->offset_syncs_written.load(), 0u);
}

TEST(SourceTaskFaultsBatches, ProducerIdRefusedMeansRecordByRecord) {
    Fixture f(true);
    const std::string topic = "refunds";
    rd_kafka_mock_topic_create(f.source.get(), topic.c_str(), 2, 1);
    rd_kafka_mock_topic_create(f.target.get(), topic.c_str(), 2, 3);
    produce_values(f.source.bootstraps(), topic, 2, 200);
    // The record path's producer must not ask for a producer id itself, or it could take the
    // refusal meant for the forwarder (librdkafka asks as soon as it starts).
    for (auto& [key, value] : f.clients.target_producer.settings) {
        if (key == "enable.idempotence") {
            value = "false";
        }
    }
    rd_kafka_mock_push_request_errors(f.target.get(), kInitProducerIdApiKey, 1,
                                      RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
    auto stats = std::make_shared<SourceTaskStats>();
    auto task = MirrorSourceTask::create(f.settings, f.clients, stats);
    ASSERT_TRUE(task.ok()) << task.error().message;
    (*task)->set_topics({{topic, TopicMapping{topic, 2}}});
    auto outcome = run_task(
        **task, [&] { return stats->records_copied.load() >= 400; }, 60s);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    EXPECT_EQ(stats->batches_forwarded.load(), 0u);
    auto values = read_values(f.target.bootstraps(), topic, 2, 400, 30s);
    for (int p = 0; p < 2; ++p) {
        ASSERT_EQ(values[p].size(), 200u) << "partition " << p;
        for (int i = 0; i < 200; ++i) {
            ASSERT_EQ(values[p][i], "p" + std::to_string(p) + "-" + std::to_string(i));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(CopyPaths, SourceTaskFaults, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return param.param ? "batches" : "records";
                         });

} // namespace
} // namespace kmirror::mirror
