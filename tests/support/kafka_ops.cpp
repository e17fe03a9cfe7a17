#include "support/kafka_ops.h"

#include "kafka/admin.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;

kafka::Admin admin_for(const kafka::Settings& settings) {
    auto admin = kafka::Admin::create(kafka::ClientSpec{"test", "test-admin", settings});
    if (!admin) {
        throw std::runtime_error(admin.error().message);
    }
    return std::move(admin).value();
}

void check(rd_kafka_error_t* error, const std::string& what) {
    if (error != nullptr) {
        std::string msg = what + ": " + rd_kafka_error_string(error);
        rd_kafka_error_destroy(error);
        throw std::runtime_error(msg);
    }
}

} // namespace

void produce_transactions(const kafka::Settings& settings, const std::string& topic,
                          const std::vector<std::pair<TxnOutcome, int>>& transactions) {
    kafka::ClientSpec spec{"test", "txn-producer", settings};
    spec.settings.emplace_back("transactional.id", "test-txn-" + topic);
    auto producer = kafka::make_producer(spec);
    if (!producer) {
        throw std::runtime_error(producer.error().message);
    }
    rd_kafka_t* rk = producer->get();
    check(rd_kafka_init_transactions(rk, 30000), "init transactions");
    int txn = 0;
    for (const auto& [outcome, count] : transactions) {
        check(rd_kafka_begin_transaction(rk), "begin transaction");
        for (int j = 0; j < count; ++j) {
            std::string value = "txn-" + std::to_string(txn) + "-" + std::to_string(j);
            auto err =
                rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                                  RD_KAFKA_V_VALUE(value.data(), value.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                throw std::runtime_error(std::string("transactional produce: ") +
                                         rd_kafka_err2str(err));
            }
        }
        // Every record reaches the broker before the transaction ends, so an aborted
        // transaction really leaves aborted records (and a marker) in the log; ending a
        // transaction whose partitions were not registered yet fails on Kafka 4.x brokers.
        if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error("transactional produce: flush timed out");
        }
        if (outcome == TxnOutcome::commit) {
            check(rd_kafka_commit_transaction(rk, 30000), "commit transaction");
        } else {
            check(rd_kafka_abort_transaction(rk, 30000), "abort transaction");
        }
        ++txn;
    }
}

std::string topic_config(const kafka::Settings& settings, const std::string& topic,
                         const std::string& name) {
    auto admin = admin_for(settings);
    auto configs = admin.describe_topic_configs({topic}, 10s);
    if (!configs) {
        throw std::runtime_error(configs.error().message);
    }
    for (const auto& e : (*configs)[topic]) {
        if (e.name == name) {
            return e.value.value_or("");
        }
    }
    return "";
}

void alter_topic_config(const kafka::Settings& settings, const std::string& topic,
                        const std::map<std::string, std::string>& configs) {
    auto admin = admin_for(settings);
    auto outcome = admin.alter_topic_configs({{topic, configs}}, 10s);
    if (!outcome) {
        throw std::runtime_error(outcome.error().message);
    }
    for (const auto& o : *outcome) {
        if (!o.ok()) {
            throw std::runtime_error("alter config of " + o.topic + ": " + o.message);
        }
    }
}

void add_partitions(const kafka::Settings& settings, const std::string& topic, int total) {
    auto admin = admin_for(settings);
    auto outcome = admin.create_partitions({{topic, total}}, 10s);
    if (!outcome) {
        throw std::runtime_error(outcome.error().message);
    }
    for (const auto& o : *outcome) {
        if (!o.ok()) {
            throw std::runtime_error("create partitions of " + o.topic + ": " + o.message);
        }
    }
}

} // namespace kmirror::testing

namespace kmirror::testing {

void delete_records_before(const kafka::Settings& settings, const std::string& topic,
                           int32_t partition, int64_t before_offset) {
    auto admin = admin_for(settings);
    auto offsets = kafka::make_partition_list(1);
    rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), partition)->offset =
        before_offset;
    rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(offsets.get());
    kafka::QueuePtr queue(rd_kafka_queue_new(admin.handle()));
    rd_kafka_DeleteRecords(admin.handle(), &request, 1, nullptr, queue.get());
    rd_kafka_DeleteRecords_destroy(request);
    kafka::EventPtr event(rd_kafka_queue_poll(queue.get(), 30000));
    if (!event || rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error("delete records of " + topic + ": " +
                                 (event ? rd_kafka_event_error_string(event.get()) : "timeout"));
    }
    const auto* result = rd_kafka_event_DeleteRecords_result(event.get());
    const auto* parts = rd_kafka_DeleteRecords_result_offsets(result);
    for (int i = 0; i < parts->cnt; ++i) {
        if (parts->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error("delete records of " + topic + ": " +
                                     rd_kafka_err2str(parts->elems[i].err));
        }
    }
}

} // namespace kmirror::testing

namespace kmirror::testing {

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    if (fd >= 0) {
        ::close(fd);
    }
    if (!ok) {
        throw std::runtime_error("cannot find a free port");
    }
    return ntohs(addr.sin_port);
}

} // namespace kmirror::testing

namespace kmirror::testing {

kafka::Admin admin_for(const ClusterEndpoints& cluster) {
    kafka::ClientSpec spec;
    spec.cluster = cluster.name;
    spec.role = "test-admin";
    spec.settings = plaintext_settings(cluster);
    auto admin = kafka::Admin::create(spec);
    if (!admin) {
        throw std::runtime_error(admin.error().message);
    }
    return std::move(admin).value();
}

void commit_group_offsets(const ClusterEndpoints& cluster, const std::string& group,
                          const GroupOffsets& offsets) {
    // A consumer that never joins commits for the (empty) group, with metadata. A fresh broker
    // answers "coordinator load in progress" for a while: retried.
    kafka::ClientSpec spec;
    spec.cluster = cluster.name;
    spec.role = "test-committer";
    spec.settings = plaintext_settings(cluster);
    spec.settings.emplace_back("group.id", group);
    spec.settings.emplace_back("enable.auto.commit", "false");
    auto consumer = kafka::make_consumer(spec);
    if (!consumer) {
        throw std::runtime_error(consumer.error().message);
    }
    std::string last_error;
    const bool ok = eventually(
        [&] {
            auto list = kafka::make_partition_list();
            std::vector<std::string> metadata;
            for (const auto& [tp, off] : offsets) {
                auto* e =
                    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second);
                e->offset = off;
                const std::string meta = "meta-" + std::to_string(off);
                e->metadata = std::malloc(meta.size());
                std::memcpy(e->metadata, meta.data(), meta.size());
                e->metadata_size = meta.size();
            }
            auto err = rd_kafka_commit(consumer->get(), list.get(), 0);
            last_error = rd_kafka_err2str(err);
            return err == RD_KAFKA_RESP_ERR_NO_ERROR;
        },
        30s, 500ms);
    kafka::close_consumer(*consumer);
    if (!ok) {
        throw std::runtime_error("commit for group '" + group + "': " + last_error);
    }
}

} // namespace kmirror::testing
