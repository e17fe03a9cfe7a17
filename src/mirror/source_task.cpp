#include "mirror/source_task.h"

#include "kafka/admin.h"
#include "metrics/registry.h"
#include "mirror/formats.h"
#include "mirror/source_task_probe.h"
#include "util/log.h"

#include <algorithm>
#include <cstring>

namespace kmirror::mirror {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPollBatch = 2000;
// librdkafka 2.0's defaults of batch.size, batch.num.messages and linger.ms.
constexpr int64_t kDefaultBatchBytes = 1000000;
constexpr int64_t kDefaultBatchRecords = 10000;
constexpr int64_t kDefaultLingerMs = 5;
constexpr int kMaxProducers = 8;
constexpr auto kFailureRetryDelay = std::chrono::seconds(5);
constexpr auto kRevokeFlushTimeout = std::chrono::seconds(30);
constexpr auto kStopFlushTimeout = std::chrono::seconds(5);
constexpr auto kLagRefreshInterval = std::chrono::seconds(1);
constexpr auto kSyncAckWarning = std::chrono::seconds(10);
constexpr auto kClientServiceInterval = std::chrono::milliseconds(5);
constexpr const char* kDefaultStatsIntervalMs = "5000";

int64_t record_bytes(const rd_kafka_message_t* m) {
    return static_cast<int64_t>(m->len + m->key_len);
}

void dr_trampoline(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
    static_cast<MirrorSourceTask*>(opaque)->on_delivery(message);
}

void sync_dr_trampoline(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
    static_cast<MirrorSourceTask*>(opaque)->on_sync_delivery(message);
}

int stats_trampoline(rd_kafka_t* /*rk*/, char* json, size_t json_len, void* opaque) {
    static_cast<MirrorSourceTask*>(opaque)->on_consumer_stats(std::string_view(json, json_len));
    return 0; // librdkafka frees json
}

void rebalance_trampoline(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<MirrorSourceTask*>(opaque)->on_rebalance(err, partitions);
}

std::string tp_name(const std::string& cluster, const std::string& topic, int32_t partition) {
    return "cluster '" + cluster + "' topic '" + topic + "' partition " + std::to_string(partition);
}

bool cooperative(rd_kafka_t* rk) {
    const char* proto = rd_kafka_rebalance_protocol(rk);
    return proto != nullptr && std::strcmp(proto, "COOPERATIVE") == 0;
}

// Assign-mode consumers use incremental (un)assignment so other partitions keep flowing.
void log_error_ptr(rd_kafka_error_t* error, const std::string& what) {
    if (error != nullptr) {
        kafka::ErrorPtr owned(error);
        log::error(what + ": " + rd_kafka_error_string(error));
    }
}

// The first of `keys` a client spec sets, as a non-negative number; `fallback` if none is set.
int64_t setting_number(const kafka::Settings& settings, std::initializer_list<const char*> keys,
                       int64_t fallback) {
    for (const char* key : keys) {
        if (auto v = kafka::setting_value(settings, key); !v.empty()) {
            return std::max<int64_t>(0, std::strtoll(v.c_str(), nullptr, 10));
        }
    }
    return fallback;
}

constexpr int kLeaderLookupTimeoutMs = 5000;

// Asks the brokers for fresh metadata of one topic (bounded wait).
void refresh_metadata(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
}

} // namespace

MirrorSourceTask::MirrorSourceTask(const config::MirrorSourceSettings& settings,
                                   SourceTaskClients clients,
                                   std::shared_ptr<SourceTaskStats> stats, SourceFlowProbe* probe)
    : settings_(settings), clients_(std::move(clients)), stats_(std::move(stats)), probe_(probe) {}

MirrorSourceTask::~MirrorSourceTask() {
    // run() closes everything in order; this only covers a task that never ran.
    kafka::close_consumer(group_);
    source_queue_.reset();
    kafka::close_consumer(source_);
}

Result<std::unique_ptr<MirrorSourceTask>>
MirrorSourceTask::create(const config::MirrorSourceSettings& settings, SourceTaskClients clients,
                         std::shared_ptr<SourceTaskStats> stats, SourceFlowProbe* probe) {
    std::unique_ptr<MirrorSourceTask> task(
        new MirrorSourceTask(settings, std::move(clients), std::move(stats), probe));
    if (auto s = task->open(); !s) {
        return s.error();
    }
    return task;
}

Status MirrorSourceTask::open() {
    // librdkafka's idempotent producer keeps one ProduceRequest in flight per partition, and
    // busy-polls while a further batch of that partition is ready (see batch_gate.h). So a
    // partition's records go to the producer one batch at a time; later ones wait here
    // (bounded), which keeps the producer's queue for that partition empty while its batch is
    // out.
    if (kafka::setting_value(clients_.target_producer.settings, "enable.idempotence") != "false") {
        const auto& settings = clients_.target_producer.settings;
        auto number = [&](std::initializer_list<const char*> keys, int64_t fallback) {
            return setting_number(settings, keys, fallback);
        };
        batch_gate_ =
            make_batch_gate(number({"batch.size"}, kDefaultBatchBytes),
                            number({"batch.num.messages"}, kDefaultBatchRecords),
                            number({"linger.ms", "queue.buffering.max.ms"}, kDefaultLingerMs));
        held_bytes_max_ = std::max<int64_t>(settings_.max_in_flight_bytes / 2, 1 << 20);
        if (auto v = kafka::setting_value(clients_.source_consumer.settings,
                                          "queued.max.messages.kbytes");
            !v.empty()) {
            queue_bytes_max_ = std::strtoll(v.c_str(), nullptr, 10) * 1024;
        }
    }
    {
        auto conf = kafka::make_conf(clients_.target_group);
        if (!conf) {
            return conf.error();
        }
        rd_kafka_conf_set_rebalance_cb(conf->get(), rebalance_trampoline);
        rd_kafka_conf_set_opaque(conf->get(), this);
        auto handle = kafka::make_client(kafka::ClientType::consumer, std::move(conf).value(),
                                         clients_.target_group);
        if (!handle) {
            return handle.error();
        }
        group_ = std::move(handle).value();
    }
    {
        auto conf = kafka::make_conf(clients_.source_consumer);
        if (!conf) {
            return conf.error();
        }
        if (probe_ != nullptr) {
            // Fetch metrics come from librdkafka's statistics (served on this task's polls).
            char value[32];
            size_t size = sizeof value;
            if (rd_kafka_conf_get(conf->get(), "statistics.interval.ms", value, &size) ==
                    RD_KAFKA_CONF_OK &&
                std::strcmp(value, "0") == 0) {
                rd_kafka_conf_set(conf->get(), "statistics.interval.ms", kDefaultStatsIntervalMs,
                                  nullptr, 0);
            }
            rd_kafka_conf_set_stats_cb(conf->get(), stats_trampoline);
            rd_kafka_conf_set_opaque(conf->get(), this);
        }
        auto handle = kafka::make_client(kafka::ClientType::consumer, std::move(conf).value(),
                                         clients_.source_consumer);
        if (!handle) {
            return handle.error();
        }
        source_ = std::move(handle).value();
        source_queue_.reset(rd_kafka_queue_get_consumer(source_.get()));
    }
    // librdkafka puts one partition's batch in a ProduceRequest and an idempotent connection
    // carries at most 5 requests at a time; tasks.max connections carry more (MM2 runs tasks.max
    // tasks, each with its own producer). The producer queue bound is shared among them.
    const int producers = std::clamp(settings_.tasks_max, 1, kMaxProducers);
    kafka::ClientSpec producer_spec = clients_.target_producer;
    if (producers > 1) {
        const auto queue_kb =
            kafka::setting_value(producer_spec.settings, "queue.buffering.max.kbytes");
        if (!queue_kb.empty()) {
            producer_spec.settings.emplace_back(
                "queue.buffering.max.kbytes",
                std::to_string(std::max<long long>(1024, std::stoll(queue_kb) / producers)));
        }
    }
    for (int i = 0; i < producers; ++i) {
        auto conf = kafka::make_conf(producer_spec);
        if (!conf) {
            return conf.error();
        }
        rd_kafka_conf_set_dr_msg_cb(conf->get(), dr_trampoline);
        rd_kafka_conf_set_opaque(conf->get(), this);
        auto handle =
            kafka::make_client(kafka::ClientType::producer, std::move(conf).value(), producer_spec);
        if (!handle) {
            return handle.error();
        }
        producers_.push_back(std::move(handle).value());
    }
    if (clients_.offset_syncs_producer) {
        auto conf = kafka::make_conf(*clients_.offset_syncs_producer);
        if (!conf) {
            return conf.error();
        }
        rd_kafka_conf_set_dr_msg_cb(conf->get(), sync_dr_trampoline);
        rd_kafka_conf_set_opaque(conf->get(), this);
        auto handle = kafka::make_client(kafka::ClientType::producer, std::move(conf).value(),
                                         *clients_.offset_syncs_producer);
        if (!handle) {
            return handle.error();
        }
        sync_producer_ = std::move(handle).value();
    }
    open_forwarder();
    return {};
}

// The batch path speaks plaintext only (no TLS, no SASL of its own): elsewhere every
// partition is copied record by record.
void MirrorSourceTask::open_forwarder() {
    const auto& consumer = clients_.source_consumer.settings;
    const auto& producer = clients_.target_producer.settings;
    auto plaintext = [](const std::string& protocol) {
        return protocol.empty() || protocol == "plaintext" || protocol == "PLAINTEXT";
    };
    const std::string compression = [&] {
        auto v = kafka::setting_value(producer, "compression.type");
        return v.empty() ? kafka::setting_value(producer, "compression.codec") : v;
    }();
    const int codec = wire::compression_codec(compression.empty() ? "none" : compression);
    if (!settings_.batch_forwarding ||
        !plaintext(kafka::setting_value(consumer, "security.protocol")) ||
        !plaintext(kafka::setting_value(producer, "security.protocol")) || codec < 0) {
        return;
    }
    auto number = [](const kafka::Settings& settings, const char* key, int64_t fallback) {
        return setting_number(settings, {key}, fallback);
    };
    ForwarderSettings fs;
    fs.source_alias = settings_.source_alias;
    fs.target_alias = settings_.target_alias;
    fs.client_id = kafka::setting_value(producer, "client.id");
    fs.isolation = kafka::setting_value(consumer, "isolation.level") == "read_uncommitted" ? 0 : 1;
    fs.fetch_max_bytes = static_cast<int32_t>(number(consumer, "fetch.max.bytes", 52428800));
    fs.partition_max_bytes =
        static_cast<int32_t>(number(consumer, "max.partition.fetch.bytes", 1048576));
    fs.fetch_max_wait_ms = static_cast<int32_t>(number(consumer, "fetch.wait.max.ms", 500));
    fs.max_buffered_bytes = settings_.max_in_flight_bytes;
    fs.producer_compression = codec;
    fs.request_timeout_ms = static_cast<int32_t>(number(producer, "request.timeout.ms", 30000));
    ForwarderEvents& events = *this;
    forwarder_ = std::make_unique<BatchForwarder>(
        std::move(fs),
        [this](bool source, const std::string& topic, int32_t partition) {
            return leader_of(source, topic, partition);
        },
        events);
}

std::optional<BrokerAddress> MirrorSourceTask::leader_of(bool source, const std::string& topic,
                                                         int32_t partition) {
    rd_kafka_t* rk = source ? source_.get() : producers_.front().get();
    kafka::TopicPtr rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
    const rd_kafka_metadata_t* md = nullptr;
    // Runs on the task thread: a short bound (the forwarder looks again half a second later)
    // rather than admin.timeout.ms.
    if (rd_kafka_metadata(rk, 0, rkt.get(), &md, kLeaderLookupTimeoutMs) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::nullopt;
    }
    std::optional<BrokerAddress> found;
    int32_t leader = -1;
    for (int t = 0; t < md->topic_cnt; ++t) {
        for (int i = 0; i < md->topics[t].partition_cnt; ++i) {
            if (md->topics[t].partitions[i].id == partition) {
                leader = md->topics[t].partitions[i].leader;
            }
        }
    }
    for (int b = 0; b < md->broker_cnt && leader >= 0; ++b) {
        if (md->brokers[b].id == leader) {
            found = BrokerAddress{md->brokers[b].host, md->brokers[b].port};
        }
    }
    rd_kafka_metadata_destroy(md);
    return found;
}

void MirrorSourceTask::assign_record_path(Owned& owned, int64_t offset) {
    owned.by_batches = false;
    auto list = kafka::make_partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), owned.source_topic.c_str(), owned.partition)
        ->offset = offset;
    log_error_ptr(rd_kafka_incremental_assign(source_.get(), list.get()),
                  "cluster '" + settings_.source_alias + "': assign");
}

void MirrorSourceTask::set_topics(TopicMap topics) {
    std::lock_guard lock(topics_mutex_);
    new_topics_ = std::move(topics);
}

// Hot path: one lookup by topic handle pointer instead of building a topic-name string per
// record. Entries are dropped whenever a partition is released.
MirrorSourceTask::Owned* MirrorSourceTask::find_owned(rd_kafka_topic_t* rkt, int32_t partition) {
    const auto key = std::make_pair(static_cast<const void*>(rkt), partition);
    if (auto it = owned_by_handle_.find(key); it != owned_by_handle_.end()) {
        return it->second;
    }
    Owned* owned = find_owned(rd_kafka_topic_name(rkt), partition);
    if (owned != nullptr) {
        owned_by_handle_.emplace(key, owned);
    }
    return owned;
}

MirrorSourceTask::Owned* MirrorSourceTask::find_owned(const std::string& source_topic,
                                                      int32_t partition) {
    auto it = by_source_.find({source_topic, partition});
    if (it == by_source_.end()) {
        return nullptr;
    }
    auto owned = owned_.find(it->second);
    return owned == owned_.end() ? nullptr : &owned->second;
}

void MirrorSourceTask::apply_topic_changes() {
    std::optional<TopicMap> incoming;
    {
        std::lock_guard lock(topics_mutex_);
        incoming.swap(new_topics_);
    }
    if (!incoming) {
        return;
    }
    topics_ = std::move(*incoming);
    std::set<std::string> wanted;
    for (const auto& [target, mapping] : topics_) {
        wanted.insert(target);
    }
    // Owned partitions that could not start before (topic unknown or too few partitions) may
    // start now.
    for (auto& [key, owned] : owned_) {
        auto it = topics_.find(key.first);
        if (by_source_.count({owned.source_topic, owned.partition}) == 0 && it != topics_.end() &&
            key.second < it->second.partitions &&
            std::find(pending_start_.begin(), pending_start_.end(), key) == pending_start_.end()) {
            owned.source_topic = it->second.source_topic;
            pending_start_.push_back(key);
        }
    }
    if (wanted == subscribed_) {
        return;
    }
    subscribed_ = wanted;
    if (wanted.empty()) {
        rd_kafka_unsubscribe(group_.get());
        return;
    }
    auto list = kafka::make_partition_list(static_cast<int>(wanted.size()));
    for (const auto& t : wanted) {
        rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    auto err = rd_kafka_subscribe(group_.get(), list.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::error("cluster '" + settings_.target_alias + "': cannot subscribe group '" +
                   settings_.progress_group + "': " + rd_kafka_err2str(err));
        subscribed_.clear();
    }
}

void MirrorSourceTask::on_rebalance(rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions) {
    const bool coop = cooperative(group_.get());
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        // The group consumer only holds ownership: park it at the end and paused.
        for (int i = 0; i < partitions->cnt; ++i) {
            partitions->elems[i].offset = RD_KAFKA_OFFSET_END;
        }
        if (coop) {
            log_error_ptr(rd_kafka_incremental_assign(group_.get(), partitions),
                          "incremental assign");
        } else {
            rd_kafka_assign(group_.get(), partitions);
        }
        rd_kafka_pause_partitions(group_.get(), partitions);
        for (int i = 0; i < partitions->cnt; ++i) {
            const auto& e = partitions->elems[i];
            Key key{e.topic, e.partition};
            auto mapping = topics_.find(key.first);
            Owned owned{key.first,
                        mapping == topics_.end() ? std::string() : mapping->second.source_topic,
                        e.partition, PartitionProgress(settings_.offset_lag_max)};
            if (probe_ != nullptr) {
                owned.probe = probe_->partition(key.first, e.partition);
            }
            owned_.insert_or_assign(key, std::move(owned));
            if (mapping != topics_.end() && e.partition < mapping->second.partitions) {
                pending_start_.push_back(key);
            }
        }
        log::info("flow " + settings_.source_alias + "->" + settings_.target_alias + ": assigned " +
                  std::to_string(partitions->cnt) + " partition(s), now owning " +
                  std::to_string(owned_.size()));
    } else {
        const bool lost = rd_kafka_assignment_lost(group_.get()) != 0;
        std::vector<Key> keys;
        for (int i = 0; i < partitions->cnt; ++i) {
            keys.emplace_back(partitions->elems[i].topic, partitions->elems[i].partition);
        }
        release(keys, !lost);
        if (coop) {
            log_error_ptr(rd_kafka_incremental_unassign(group_.get(), partitions),
                          "incremental unassign");
        } else {
            rd_kafka_assign(group_.get(), nullptr);
        }
        log::info("flow " + settings_.source_alias + "->" + settings_.target_alias +
                  (lost ? ": lost " : ": released ") + std::to_string(partitions->cnt) +
                  " partition(s), now owning " + std::to_string(owned_.size()));
    }
    stats_->partitions_owned.store(static_cast<int>(owned_.size()));
}

void MirrorSourceTask::release(const std::vector<Key>& keys, bool commit) {
    owned_by_handle_.clear();
    auto source_list = kafka::make_partition_list();
    std::vector<Key> started;
    for (const auto& key : keys) {
        auto it = owned_.find(key);
        if (it == owned_.end()) {
            continue;
        }
        pending_start_.erase(std::remove(pending_start_.begin(), pending_start_.end(), key),
                             pending_start_.end());
        if (by_source_.count({it->second.source_topic, it->second.partition}) != 0) {
            if (it->second.by_batches) {
                forwarder_->stop_fetching(key);
            } else {
                rd_kafka_topic_partition_list_add(
                    source_list.get(), it->second.source_topic.c_str(), it->second.partition);
            }
            started.push_back(key);
        }
    }
    if (source_list->cnt > 0) {
        log_error_ptr(rd_kafka_incremental_unassign(source_.get(), source_list.get()),
                      "cluster '" + settings_.source_alias + "': unassign");
    }
    // Wait for the records already handed to the producer, so progress covers them.
    const auto deadline =
        Clock::now() + (stop_requested_.load() ? kStopFlushTimeout : kRevokeFlushTimeout);
    auto in_flight = [&] {
        int64_t n = 0;
        for (const auto& key : started) {
            n += owned_.at(key).batch.unacked_records +
                 (forwarder_ ? forwarder_->records_in_flight(key) : 0);
        }
        return n;
    };
    while (in_flight() > 0 && Clock::now() < deadline) {
        for (const auto& producer : producers_) {
            rd_kafka_poll(producer.get(), producers_.size() > 1 || forwarder_ ? 10 : 50);
        }
        if (forwarder_) {
            forwarder_->service(10);
        }
    }
    if (in_flight() > 0) {
        log::warn("flow " + settings_.source_alias + "->" + settings_.target_alias + ": " +
                  std::to_string(in_flight()) +
                  " record(s) still unacknowledged at release; they will be copied again by the "
                  "next owner");
    }
    if (pending_commit_) { // released partitions are committed below, or by their next owner
        auto& offsets = pending_commit_->offsets;
        offsets.erase(std::remove_if(offsets.begin(), offsets.end(),
                                     [&](const auto& e) {
                                         return std::find(keys.begin(), keys.end(), e.first) !=
                                                keys.end();
                                     }),
                      offsets.end());
    }
    if (commit) {
        flush_and_commit(started);
    }
    for (const auto& key : keys) {
        auto it = owned_.find(key);
        if (it == owned_.end()) {
            continue;
        }
        drop_held(it->second); // fetched again by the next owner, from the progress
        if (forwarder_) {
            forwarder_->remove(key);
        }
        by_source_.erase({it->second.source_topic, it->second.partition});
        owned_.erase(it);
    }
}

const Mm2Progress& MirrorSourceTask::mm2_progress() {
    if (!mm2_progress_) {
        auto read =
            read_mm2_progress(clients_.target_group, settings_.mm2_offsets_topic, settings_.name,
                              settings_.source_alias, settings_.admin_timeout);
        if (read) {
            log::debug("cluster '" + settings_.target_alias + "' topic '" +
                       settings_.mm2_offsets_topic + "': MirrorMaker 2 progress of connector '" +
                       settings_.name + "' for " + std::to_string(read->size()) +
                       " partition(s) of cluster '" + settings_.source_alias + "'");
            mm2_progress_ = std::move(read).value();
        } else {
            log::debug("no MirrorMaker 2 progress: " + read.error().message);
            mm2_progress_.emplace();
        }
    }
    return *mm2_progress_;
}

void MirrorSourceTask::start_pending_partitions() {
    if (pending_start_.empty() || Clock::now() < start_retry_at_) {
        return;
    }
    auto group_list = kafka::make_partition_list(static_cast<int>(pending_start_.size()));
    for (const auto& [topic, partition] : pending_start_) {
        rd_kafka_topic_partition_list_add(group_list.get(), topic.c_str(), partition);
    }
    auto err =
        rd_kafka_committed(group_.get(), group_list.get(), kafka::to_ms(settings_.admin_timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::warn("cluster '" + settings_.target_alias + "': cannot read progress of group '" +
                  settings_.progress_group + "': " + rd_kafka_err2str(err) + "; retrying");
        start_retry_at_ = Clock::now() + std::chrono::seconds(1);
        return;
    }
    auto source_list = kafka::make_partition_list(group_list->cnt);
    std::vector<Key> still_pending;
    for (int i = 0; i < group_list->cnt; ++i) {
        const auto& e = group_list->elems[i];
        Key key{e.topic, e.partition};
        auto it = owned_.find(key);
        if (it == owned_.end()) {
            continue;
        }
        Owned& owned = it->second;
        int64_t low = 0;
        int64_t high = 0;
        auto werr = rd_kafka_query_watermark_offsets(source_.get(), owned.source_topic.c_str(),
                                                     owned.partition, &low, &high,
                                                     kafka::to_ms(settings_.admin_timeout));
        if (werr != RD_KAFKA_RESP_ERR_NO_ERROR) {
            // Typically a partition added moments ago that the client's metadata does not
            // know yet: refresh metadata and try again shortly.
            const std::string text =
                tp_name(settings_.source_alias, owned.source_topic, owned.partition) +
                ": cannot read offsets: " + rd_kafka_err2str(werr) + "; retrying";
            if (text != last_error_) {
                log::warn(text);
                last_error_ = text;
            }
            still_pending.push_back(key);
            continue;
        }
        int64_t start = 0;
        int64_t committed = e.err == RD_KAFKA_RESP_ERR_NO_ERROR ? e.offset : -1;
        if (committed < 0) {
            // No progress of kmirror's own (which always wins): a take-over from MirrorMaker 2
            // resumes right after the last record MM2 copied.
            const auto& mm2 = mm2_progress();
            if (auto m = mm2.find({owned.source_topic, owned.partition}); m != mm2.end()) {
                committed = m->second + 1;
                log::info(tp_name(settings_.source_alias, owned.source_topic, owned.partition) +
                          ": resuming after MirrorMaker 2's progress at offset " +
                          std::to_string(m->second) + " (from topic '" +
                          settings_.mm2_offsets_topic + "' on cluster '" + settings_.target_alias +
                          "')");
            }
        }
        if (committed >= 0) {
            start = committed;
            if (committed < low) {
                const int64_t lost = low - committed;
                stats_->records_lost_to_retention += static_cast<uint64_t>(lost);
                log::error(tp_name(settings_.source_alias, owned.source_topic, owned.partition) +
                           ": " + std::to_string(lost) + " record(s) at offsets [" +
                           std::to_string(committed) + ", " + std::to_string(low) +
                           ") were deleted by retention before they were copied; resuming at " +
                           std::to_string(low));
                start = low;
            } else if (committed > high) {
                log::warn(tp_name(settings_.source_alias, owned.source_topic, owned.partition) +
                          ": progress " + std::to_string(committed) +
                          " is past the end of the partition (" + std::to_string(high) +
                          "): the topic was recreated or truncated; copying from " +
                          std::to_string(low));
                start = low;
            }
        } else {
            start = settings_.start_position == config::StartPosition::latest ? high : low;
        }
        owned.progress = PartitionProgress(settings_.offset_lag_max, start);
        if (!owned.target) {
            owned.target.reset(rd_kafka_topic_new(producer_for(owned.partition),
                                                  owned.target_topic.c_str(), nullptr));
        }
        by_source_[{owned.source_topic, owned.partition}] = key;
        if (forwarder_) {
            owned.by_batches = true;
            forwarder_->add(key, owned.source_topic, start);
        } else {
            rd_kafka_topic_partition_list_add(source_list.get(), owned.source_topic.c_str(),
                                              owned.partition)
                ->offset = start;
        }
        log::debug(tp_name(settings_.source_alias, owned.source_topic, owned.partition) +
                   ": replicating from offset " + std::to_string(start));
    }
    if (!still_pending.empty()) {
        const rd_kafka_metadata_t* md = nullptr;
        if (rd_kafka_metadata(source_.get(), 1, nullptr, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_metadata_destroy(md);
        }
        start_retry_at_ = Clock::now() + std::chrono::seconds(1);
    }
    pending_start_ = std::move(still_pending);
    if (source_list->cnt > 0) {
        log_error_ptr(rd_kafka_incremental_assign(source_.get(), source_list.get()),
                      "cluster '" + settings_.source_alias + "': assign");
    }
}

void MirrorSourceTask::service(int timeout_ms) {
    // The first producer waits (a delivery report ends the wait); the others are served.
    rd_kafka_poll(producers_.front().get(), timeout_ms);
    for (size_t i = 1; i < producers_.size(); ++i) {
        rd_kafka_poll(producers_[i].get(), 0);
    }
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(group_.get(), 0)) {
        kafka::MessagePtr drop(m); // the ownership group never fetches data we use
    }
    if (sync_producer_) {
        rd_kafka_poll(sync_producer_.get(), 0);
    }
}

bool MirrorSourceTask::produce(rd_kafka_message_t* message) {
    const int32_t partition = message->partition;
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_detach_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        headers = nullptr;
    }
    rd_kafka_timestamp_type_t ts_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    int64_t timestamp = rd_kafka_message_timestamp(message, &ts_type);
    if (timestamp < 0) {
        timestamp = 0;
    }
    int metadata_refreshes = 0;
    while (true) {
        Owned* owned = find_owned(message->rkt, partition);
        if (owned == nullptr || owned->progress.failed() || stop_requested_.load()) {
            break;
        }
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (headers != nullptr) {
            err = rd_kafka_producev(
                producer_for(partition), RD_KAFKA_V_RKT(owned->target.get()),
                RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(message->key, message->key_len),
                RD_KAFKA_V_VALUE(message->payload, message->len), RD_KAFKA_V_TIMESTAMP(timestamp),
                RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(message), RD_KAFKA_V_END);
        } else {
            err = rd_kafka_producev(
                producer_for(partition), RD_KAFKA_V_RKT(owned->target.get()),
                RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(message->key, message->key_len),
                RD_KAFKA_V_VALUE(message->payload, message->len), RD_KAFKA_V_TIMESTAMP(timestamp),
                RD_KAFKA_V_OPAQUE(message), RD_KAFKA_V_END);
        }
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            // The delivery report releases `message` and the headers.
            if (owned->batch.unacked_records++ == 0) {
                owned->batch.opened_at = Clock::now();
            }
            owned->batch.unacked_bytes += record_bytes(message);
            stats_->records_polled.fetch_add(1, std::memory_order_relaxed);
            stats_->records_in_flight.fetch_add(1, std::memory_order_relaxed);
            if (owned->probe && ts_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
                owned->probe->on_polled(timestamp, message->len, metrics::wall_clock_ms());
            }
            return true;
        }
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            service(50); // backpressure: wait for deliveries, keep group membership alive
            continue;
        }
        if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION && metadata_refreshes++ < 3) {
            // A partition added moments ago: the producer's metadata is older than it.
            refresh_metadata(producer_for(partition), owned->target_topic);
            continue;
        }
        stats_->delivery_failures++;
        log::error(tp_name(settings_.target_alias, owned->target_topic, partition) +
                   ": cannot produce record from source offset " + std::to_string(message->offset) +
                   ": " + rd_kafka_err2str(err) + "; retrying in " +
                   std::to_string(kFailureRetryDelay.count()) + " s");
        owned->progress.fail(message->offset);
        owned->retry_at = Clock::now() + kFailureRetryDelay;
        break;
    }
    if (headers != nullptr) {
        rd_kafka_headers_destroy(headers);
    }
    return false;
}

void MirrorSourceTask::on_delivery(const rd_kafka_message_t* report) {
    kafka::MessagePtr source(static_cast<rd_kafka_message_t*>(report->_private));
    const int32_t partition = source->partition;
    Owned* owned = find_owned(source->rkt, partition);
    if (owned != nullptr) {
        --owned->batch.unacked_records;
        owned->batch.unacked_bytes -= record_bytes(source.get());
    }
    stats_->records_in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (report->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
        report->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        return; // purged at shutdown, after the partition was released
    }
    if (report->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        stats_->delivery_failures++;
        if (owned != nullptr && !owned->progress.failed()) {
            log::error(
                tp_name(settings_.target_alias, rd_kafka_topic_name(report->rkt), partition) +
                ": delivery of the record from source offset " + std::to_string(source->offset) +
                " failed: " + rd_kafka_err2str(report->err) + "; retrying from offset " +
                std::to_string(owned->progress.next_upstream()) + " in " +
                std::to_string(kFailureRetryDelay.count()) + " s");
            owned->progress.fail(source->offset);
            owned->retry_at = Clock::now() + kFailureRetryDelay;
        }
        return;
    }
    stats_->records_copied++;
    stats_->bytes_copied += report->len + report->key_len;
    if (owned == nullptr) {
        return;
    }
    sync_scratch_.clear();
    owned->progress.on_delivered(source->offset, report->offset, sync_scratch_);
    if (owned->probe) {
        rd_kafka_timestamp_type_t ts_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        const int64_t ts = rd_kafka_message_timestamp(source.get(), &ts_type);
        if (ts_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
            owned->probe->on_delivered(ts, owned->progress.next_upstream(),
                                       owned->batch.unacked_records > 0, metrics::wall_clock_ms());
        }
    }
    if (!sync_scratch_.empty()) {
        emit_syncs(owned->source_topic, partition, sync_scratch_);
    }
}

void MirrorSourceTask::on_fetched(const Key& key, int32_t records, int64_t bytes,
                                  int64_t max_timestamp) {
    stats_->records_polled.fetch_add(static_cast<uint64_t>(records), std::memory_order_relaxed);
    stats_->records_in_flight.fetch_add(records, std::memory_order_relaxed);
    auto it = owned_.find(key);
    if (it != owned_.end() && it->second.probe && max_timestamp >= 0) {
        // One sample per batch: its newest record's age, and its bytes.
        it->second.probe->on_polled(max_timestamp, static_cast<size_t>(bytes),
                                    metrics::wall_clock_ms());
    }
}

void MirrorSourceTask::on_forwarded(const Key& key, const ForwardedBatch& batch) {
    stats_->records_in_flight.fetch_sub(batch.records, std::memory_order_relaxed);
    stats_->records_copied += static_cast<uint64_t>(batch.records);
    stats_->bytes_copied += static_cast<uint64_t>(batch.bytes);
    stats_->batches_forwarded++;
    auto it = owned_.find(key);
    if (it == owned_.end()) {
        return;
    }
    Owned& owned = it->second;
    sync_scratch_.clear();
    for (int32_t i = 0; i < batch.records; ++i) {
        owned.progress.on_delivered(batch.upstream + i, batch.downstream + i, sync_scratch_);
    }
    if (owned.probe && batch.max_timestamp >= 0) {
        owned.probe->on_delivered(batch.max_timestamp, owned.progress.next_upstream(),
                                  forwarder_->records_in_flight(key) > 0, metrics::wall_clock_ms(),
                                  batch.records);
    }
    if (!sync_scratch_.empty()) {
        emit_syncs(owned.source_topic, owned.partition, sync_scratch_);
    }
}

void MirrorSourceTask::on_failed(const Key& key, int64_t upstream, const std::string& why) {
    stats_->delivery_failures++;
    auto it = owned_.find(key);
    if (it == owned_.end()) {
        return;
    }
    Owned& owned = it->second;
    log::error(why + "; retrying from offset " + std::to_string(owned.progress.next_upstream()) +
               " in " + std::to_string(kFailureRetryDelay.count()) + " s");
    owned.progress.fail(upstream);
    if (!owned.progress.failed()) {
        owned.progress.fail(owned.progress.next_upstream()); // restart from the progress
    }
    owned.retry_at = Clock::now() + kFailureRetryDelay;
}

void MirrorSourceTask::on_unforwardable(const Key& key, int64_t upstream, const std::string& why) {
    auto it = owned_.find(key);
    if (it == owned_.end()) {
        return;
    }
    log::info(tp_name(settings_.source_alias, it->second.source_topic, it->second.partition) +
              ": copying record by record from offset " + std::to_string(upstream) + ": " + why);
    assign_record_path(it->second, upstream);
}

void MirrorSourceTask::emit_syncs(const std::string& source_topic, int32_t partition,
                                  const std::vector<SyncPoint>& syncs) {
    if (!sync_producer_) {
        return;
    }
    for (const auto& s : syncs) {
        OffsetSync sync{source_topic, partition, s.upstream, s.downstream};
        auto key = encode_key(sync);
        auto value = encode_value(sync);
        if (!key || !value) {
            log::warn("offset sync for topic '" + source_topic + "' cannot be encoded: " +
                      (!key ? key.error().message : value.error().message));
            return;
        }
        while (true) {
            auto err = rd_kafka_producev(
                sync_producer_.get(), RD_KAFKA_V_TOPIC(clients_.offset_syncs_topic.c_str()),
                RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key->data(), key->size()),
                RD_KAFKA_V_VALUE(value->data(), value->size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(sync_producer_.get(), 10);
                continue;
            }
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                log::warn("cluster '" + clients_.offset_syncs_producer->cluster + "' topic '" +
                          clients_.offset_syncs_topic +
                          "': cannot write offset sync: " + rd_kafka_err2str(err));
            } else {
                sync_acks_.produced();
                stats_->offset_syncs_written++;
            }
            break;
        }
    }
}

void MirrorSourceTask::on_sync_delivery(const rd_kafka_message_t* report) {
    sync_acks_.reported(report->err == RD_KAFKA_RESP_ERR_NO_ERROR);
    if (report->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::warn("cluster '" + clients_.offset_syncs_producer->cluster + "' topic '" +
                  clients_.offset_syncs_topic + "' partition " + std::to_string(report->partition) +
                  ": offset sync not written: " + rd_kafka_err2str(report->err) +
                  "; progress commit postponed");
    }
}

// Emits the latest offset sync of each partition (when due) and snapshots the progress to
// commit once those syncs are written.
MirrorSourceTask::CommitOffsets
MirrorSourceTask::emit_progress_syncs(const std::vector<Key>& keys) {
    CommitOffsets offsets;
    for (const auto& key : keys) {
        Owned& owned = owned_.at(key);
        if (auto point = owned.progress.on_flush()) {
            emit_syncs(owned.source_topic, owned.partition, {*point});
        }
        if (owned.progress.commit_pending() && owned.progress.next_upstream() >= 0) {
            offsets.emplace_back(key, owned.progress.next_upstream());
        }
    }
    return offsets;
}

void MirrorSourceTask::commit_progress(const CommitOffsets& offsets, bool sync) {
    if (offsets.empty()) {
        return;
    }
    auto list = kafka::make_partition_list(static_cast<int>(offsets.size()));
    for (const auto& [key, offset] : offsets) {
        rd_kafka_topic_partition_list_add(list.get(), key.first.c_str(), key.second)->offset =
            offset;
    }
    auto err = rd_kafka_commit(group_.get(), list.get(), sync ? 0 : 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::warn("cluster '" + settings_.target_alias + "': cannot commit progress of group '" +
                  settings_.progress_group + "': " + rd_kafka_err2str(err));
        return;
    }
    for (const auto& [key, offset] : offsets) {
        if (auto it = owned_.find(key); it != owned_.end()) {
            it->second.progress.mark_committed(offset);
        }
    }
}

// At a release or stop: waits for the offset syncs, then commits synchronously.
void MirrorSourceTask::flush_and_commit(const std::vector<Key>& keys) {
    const auto offsets = emit_progress_syncs(keys);
    const auto mark = sync_acks_.mark();
    if (sync_producer_) {
        auto err = rd_kafka_flush(sync_producer_.get(), 10000);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR ||
            sync_acks_.since(mark) != SyncAcks::State::written) {
            log::warn("cluster '" + clients_.offset_syncs_producer->cluster + "' topic '" +
                      clients_.offset_syncs_topic +
                      "': offset syncs not acknowledged yet; progress commit postponed");
            return;
        }
    }
    commit_progress(offsets, true);
}

// The periodic commit, in two steps that never wait on the task's thread: the snapshot here,
// the commit in finish_commit() once the offset syncs before it are written.
void MirrorSourceTask::start_commit() {
    if (pending_commit_) {
        return; // the previous snapshot still waits for its offset syncs
    }
    std::vector<Key> keys;
    for (const auto& [key, owned] : owned_) {
        if (by_source_.count({owned.source_topic, owned.partition}) != 0) {
            keys.push_back(key);
        }
    }
    auto offsets = emit_progress_syncs(keys);
    if (offsets.empty()) {
        return;
    }
    pending_commit_ = PendingCommit{std::move(offsets), sync_acks_.mark(), Clock::now()};
    finish_commit();
}

void MirrorSourceTask::finish_commit() {
    if (!pending_commit_) {
        return;
    }
    const auto state =
        sync_producer_ ? sync_acks_.since(pending_commit_->mark) : SyncAcks::State::written;
    if (state == SyncAcks::State::waiting) {
        if (!pending_commit_->warned && Clock::now() - pending_commit_->since > kSyncAckWarning) {
            pending_commit_->warned = true;
            log::warn("cluster '" + clients_.offset_syncs_producer->cluster + "' topic '" +
                      clients_.offset_syncs_topic +
                      "': " + std::to_string(sync_acks_.outstanding()) +
                      " offset sync(s) not acknowledged after 10 s; progress commit postponed");
        }
        return;
    }
    if (state == SyncAcks::State::written) {
        commit_progress(pending_commit_->offsets, false);
    }
    pending_commit_.reset(); // lost: the next interval takes a new snapshot
}

void MirrorSourceTask::retry_failed_partitions() {
    const auto now = Clock::now();
    auto unassign = kafka::make_partition_list();
    auto assign = kafka::make_partition_list();
    for (auto& [key, owned] : owned_) {
        if (!owned.progress.failed() || owned.batch.unacked_records > 0 || now < owned.retry_at) {
            continue;
        }
        if (owned.by_batches) {
            owned.progress.restart();
            log::info(tp_name(settings_.source_alias, owned.source_topic, owned.partition) +
                      ": retrying from offset " + std::to_string(owned.progress.next_upstream()));
            forwarder_->add(key, owned.source_topic, owned.progress.next_upstream());
            continue;
        }
        rd_kafka_topic_partition_list_add(unassign.get(), owned.source_topic.c_str(),
                                          owned.partition);
        auto* e = rd_kafka_topic_partition_list_add(assign.get(), owned.source_topic.c_str(),
                                                    owned.partition);
        e->offset = owned.progress.next_upstream();
        drop_held(owned);
        owned.progress.restart();
        log::info(tp_name(settings_.source_alias, owned.source_topic, owned.partition) +
                  ": retrying from offset " + std::to_string(e->offset));
    }
    if (assign->cnt > 0) {
        log_error_ptr(rd_kafka_incremental_unassign(source_.get(), unassign.get()), "unassign");
        log_error_ptr(rd_kafka_incremental_assign(source_.get(), assign.get()), "assign");
    }
}

Status MirrorSourceTask::pump_records() {
    const bool forwarding = forwarder_ && !forwarder_->empty();
    // Partitions copied record by record: the started ones the forwarder does not have.
    const bool idle = by_source_.size() <= (forwarder_ ? forwarder_->size() : 0);
    const bool holding = partitions_holding_ > 0;
    if (forwarding && idle) {
        // Only the forwarder copies: its sockets are this loop's wait, and the librdkafka
        // clients (group membership, offset syncs, statistics) are served every few ms rather
        // than after every response (each poll takes locks and reads the clock).
        forwarder_->service(20);
        const auto now = Clock::now();
        if (now < next_client_service_) {
            return {};
        }
        next_client_service_ = now + kClientServiceInterval;
    }
    if (held_bytes_max_ > 0 && !intake_paused_ && held_bytes_ > held_bytes_max_) {
        pause_intake(true);
    } else if (intake_paused_ && held_bytes_ <= held_bytes_max_ / 2) {
        pause_intake(false);
    }
    rd_kafka_message_t* m =
        rd_kafka_consumer_poll(source_.get(), idle || holding || forwarding ? 0 : 50);
    watch_fetcher(m != nullptr);
    if (idle) {
        service(forwarding ? 0 : 100);
    }
    if (forwarding && !idle) {
        // Partitions also go record by record (their consumer is polled without waiting): the
        // wait on the forwarder's sockets is kept short.
        forwarder_->service(2);
    }
    const bool polled = m != nullptr;
    const auto now = Clock::now(); // one batch per pass (batch_gate.h)
    // Every polled message is handed over exactly once: to the producer (its delivery report
    // releases it), to a partition's held records, or destroyed here. `m` is cleared as soon as
    // it is handed over.
    for (int n = 1; m != nullptr; ++n) {
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            kafka::MessagePtr error(m);
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                std::string where = m->rkt ? tp_name(settings_.source_alias,
                                                     rd_kafka_topic_name(m->rkt), m->partition)
                                           : "cluster '" + settings_.source_alias + "'";
                std::string text = where + ": " + rd_kafka_message_errstr(m);
                if (text != last_error_) {
                    log::warn(text);
                    last_error_ = text;
                }
            }
        } else {
            mean_record_bytes_ += (record_bytes(m) - mean_record_bytes_) / 64;
            hand_over(m, now);
        }
        m = nullptr;
        if (stop_requested_.load() || n >= kPollBatch) {
            break;
        }
        m = rd_kafka_consumer_poll(source_.get(), 0);
    }
    // With records waiting for acknowledgements, wait on the producer (a delivery report ends
    // the wait) rather than on the source.
    service(holding && !polled ? 5 : 0);
    produce_held();
    return {};
}

void MirrorSourceTask::hand_over(rd_kafka_message_t* message, Clock::time_point now) {
    Owned* owned = find_owned(message->rkt, message->partition);
    if (owned != nullptr) {
        owned->next_poll = message->offset + 1;
    }
    if (batch_gate_.max_bytes > 0) {
        if (owned != nullptr && !owned->progress.failed() &&
            (!owned->held.empty() ||
             !admits(batch_gate_, owned->batch, record_bytes(message), now))) {
            if (owned->held.empty()) {
                ++partitions_holding_;
            }
            held_bytes_ += record_bytes(message);
            owned->held.emplace_back(message);
            return;
        }
    }
    if (!produce(message)) {
        rd_kafka_message_destroy(message);
    }
}

// Hands held records to the producer as their partition's batches are acknowledged. produce()
// may serve callbacks that release partitions, so owned_ is looked up again after each record.
void MirrorSourceTask::produce_held() {
    if (partitions_holding_ == 0) {
        return;
    }
    // One `now` for the pass: the records released together open one batch (batch_gate.h).
    const auto now = Clock::now();
    std::vector<Key> keys;
    for (const auto& [key, owned] : owned_) {
        if (!owned.held.empty()) {
            keys.push_back(key);
        }
    }
    for (const auto& key : keys) {
        while (!stop_requested_.load()) {
            auto it = owned_.find(key);
            if (it == owned_.end() || it->second.held.empty()) {
                break;
            }
            Owned& owned = it->second;
            if (owned.progress.failed()) {
                drop_held(owned); // copied again from the partition's progress on retry
                break;
            }
            const int64_t bytes = record_bytes(owned.held.front().get());
            if (!admits(batch_gate_, owned.batch, bytes, now)) {
                break;
            }
            rd_kafka_message_t* m = owned.held.front().release();
            owned.held.pop_front();
            held_bytes_ -= bytes;
            if (owned.held.empty()) {
                --partitions_holding_;
            }
            if (!produce(m)) {
                rd_kafka_message_destroy(m);
            }
        }
    }
}

// Bounds the held records by pausing the source partitions rather than by not polling, so that
// the consumer's queue does not sit at its own bound (see watch_fetcher). Pausing drops what was
// prefetched; on resume fetching starts again from the record after the last one polled.
void MirrorSourceTask::pause_intake(bool pause) {
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(source_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return;
    }
    kafka::PartitionListPtr assigned(raw);
    const auto err = pause ? rd_kafka_pause_partitions(source_.get(), assigned.get())
                           : rd_kafka_resume_partitions(source_.get(), assigned.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::warn("cluster '" + settings_.source_alias + "': cannot " +
                  (pause ? "pause" : "resume") + " fetching: " + rd_kafka_err2str(err));
        return;
    }
    intake_paused_ = pause;
    if (!pause) {
        wake_fetcher();
    }
}

// librdkafka 2.0 stops fetching while its consumer queue is at queued.max.messages.kbytes, and
// nothing it does on a poll wakes the fetcher again: it looks at the queue only when its broker
// thread next wakes, up to a second later. Catching up, the fetcher outruns the producer and the
// queue fills within a few fetches, so every drained queue would cost up to a second without
// records. When the queue has come near its bound and is then found empty, the fetcher is woken
// at once (wake_fetcher); nothing is queued then, so nothing prefetched is dropped.
void MirrorSourceTask::watch_fetcher(bool polled) {
    if (queue_bytes_max_ <= 0 || intake_paused_) {
        return;
    }
    if (polled) {
        const int64_t queued = rd_kafka_queue_length(source_queue_.get());
        if (queued * mean_record_bytes_ >= queue_bytes_max_ / 2) {
            fetch_may_have_stopped_ = true;
        }
    } else if (fetch_may_have_stopped_) {
        fetch_may_have_stopped_ = false;
        wake_fetcher();
    }
}

// Only a seek (or an assignment) wakes librdkafka 2.0's fetcher; a resume does not. Seeking a
// partition to the record after the last one polled changes nothing else: what is queued or in
// flight beyond it is dropped and fetched again.
void MirrorSourceTask::wake_fetcher() {
    auto list = kafka::make_partition_list();
    for (const auto& [key, owned] : owned_) {
        if (owned.next_poll >= 0 && !owned.progress.failed() &&
            by_source_.count({owned.source_topic, owned.partition}) != 0) {
            rd_kafka_topic_partition_list_add(list.get(), owned.source_topic.c_str(),
                                              owned.partition)
                ->offset = owned.next_poll;
        }
    }
    if (list->cnt > 0) {
        log_error_ptr(rd_kafka_seek_partitions(source_.get(), list.get(), 0),
                      "cluster '" + settings_.source_alias + "': seek");
    }
}

void MirrorSourceTask::drop_held(Owned& owned) {
    if (owned.held.empty()) {
        return;
    }
    for (const auto& m : owned.held) {
        held_bytes_ -= record_bytes(m.get());
    }
    owned.held.clear();
    --partitions_holding_;
}

void MirrorSourceTask::on_consumer_stats(std::string_view json) {
    if (probe_ == nullptr) {
        return;
    }
    if (!forwarder_) {
        probe_->on_consumer_stats(json);
        return;
    }
    if (auto parsed = parse_consumer_stats(json)) {
        add_forwarder_fetch_stats(*parsed, forwarder_->take_fetch_stats());
        probe_->set_fetch_stats(std::move(parsed).value());
    }
}

// Lag inputs per partition: the source high watermark as last seen by the consumer's fetches
// (no request) and the replicated position. With nothing in flight the consumer's position is
// used when ahead, so control records (transaction markers) do not count as lag.
void MirrorSourceTask::refresh_lag() {
    if (probe_ == nullptr || by_source_.empty()) {
        return;
    }
    auto list = kafka::make_partition_list(static_cast<int>(by_source_.size()));
    for (const auto& [tp, key] : by_source_) {
        rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second);
    }
    if (rd_kafka_position(source_.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return;
    }
    for (int i = 0; i < list->cnt; ++i) {
        const auto& e = list->elems[i];
        Owned* owned = find_owned(e.topic, e.partition);
        if (owned == nullptr || !owned->probe) {
            continue;
        }
        int64_t low = -1;
        int64_t high = -1;
        if (rd_kafka_get_watermark_offsets(source_.get(), e.topic, e.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            high = -1;
        }
        if (owned->by_batches && forwarder_) {
            const Key key{owned->target_topic, owned->partition};
            const auto [watermark, fetch_position] = forwarder_->lag_inputs(key);
            int64_t position = owned->progress.next_upstream();
            if (forwarder_->records_pending(key) == 0 && !owned->progress.failed() &&
                fetch_position > position) {
                position = fetch_position; // skipped transaction markers are not lag
            }
            owned->probe->set_lag_inputs(watermark, position);
            continue;
        }
        int64_t position = owned->progress.next_upstream();
        if (owned->batch.unacked_records == 0 && owned->held.empty() && !owned->progress.failed() &&
            e.offset > position) {
            position = e.offset;
        }
        owned->probe->set_lag_inputs(high, position);
    }
}

Status MirrorSourceTask::check_fatal() {
    char errstr[512];
    for (const auto& producer : producers_) {
        if (rd_kafka_fatal_error(producer.get(), errstr, sizeof errstr) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error("cluster '" + settings_.target_alias +
                              "': fatal producer error: " + errstr);
        }
    }
    return {};
}

Status MirrorSourceTask::run() {
    next_commit_ = Clock::now() + settings_.progress_commit_interval;
    Status outcome;
    while (!stop_requested_.load()) {
        apply_topic_changes();
        start_pending_partitions();
        retry_failed_partitions();
        if (auto s = pump_records(); !s) {
            outcome = s;
            break;
        }
        finish_commit();
        if (Clock::now() >= next_commit_) {
            start_commit();
            next_commit_ = Clock::now() + settings_.progress_commit_interval;
        }
        if (Clock::now() >= next_lag_refresh_) {
            refresh_lag();
            next_lag_refresh_ = Clock::now() + kLagRefreshInterval;
        }
        if (auto s = check_fatal(); !s) {
            outcome = s;
            break;
        }
    }
    // Shutdown order: stop intake, drain the producer, commit progress, leave the group.
    stop_requested_.store(true);
    std::vector<Key> all;
    for (const auto& [key, owned] : owned_) {
        all.push_back(key);
    }
    release(all, true);
    // Records still unacknowledged after the release deadline are purged (the next owner copies
    // them again): their delivery reports release the source messages, which must all be gone
    // before the source consumer is closed.
    for (const auto& producer : producers_) {
        if (rd_kafka_outq_len(producer.get()) > 0) {
            rd_kafka_purge(producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        }
        rd_kafka_flush(producer.get(), 2000);
    }
    kafka::close_consumer(group_); // leaving the group hands partitions over at once
    source_queue_.reset();
    kafka::close_consumer(source_);
    if (sync_producer_) {
        rd_kafka_flush(sync_producer_.get(), 2000);
    }
    stats_->partitions_owned.store(0);
    stats_->records_in_flight.store(0);
    if (probe_ != nullptr) {
        probe_->clear_consumer_stats();
    }
    return outcome;
}

} // namespace kmirror::mirror
