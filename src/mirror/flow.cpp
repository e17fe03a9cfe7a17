#include "mirror/flow.h"

#include "kafka/client_config.h"
#include "mirror/acl_sync.h"
#include "mirror/client_spec.h"
#include "mirror/topic_sync.h"
#include "util/log.h"
#include "util/strings.h"

#include <algorithm>

namespace kmirror::mirror {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTaskRestartDelay = std::chrono::seconds(5);

// Without idempotence librdkafka retries a failed request after later ones succeeded, which
// reorders records within a partition; one request in flight per connection keeps them in order
// (what Kafka Connect does for source tasks). Retries may then still duplicate a record.
void keep_order_without_idempotence(kafka::ClientSpec& producer, std::vector<std::string>& notes) {
    if (kafka::setting_value(producer.settings, "enable.idempotence") != "false") {
        return;
    }
    const std::string in_flight =
        kafka::setting_value(producer.settings, "max.in.flight.requests.per.connection");
    if (in_flight == "1") {
        return;
    }
    producer.settings.emplace_back("max.in.flight.requests.per.connection", "1");
    notes.push_back("cluster '" + producer.cluster + "' (" + producer.role +
                    "): enable.idempotence=false, so 'max.in.flight.requests.per.connection' " +
                    (in_flight.empty() ? std::string("is") : "= " + in_flight + " is") +
                    " kept at 1 (records stay in order; a retry may duplicate a record)");
}

} // namespace

Flow::Flow(const config::MirrorSourceSettings& settings)
    : settings_(settings), name_(settings.source_alias + "->" + settings.target_alias),
      probe_(std::make_unique<SourceFlowProbe>(
          metrics::default_registry(),
          SourceFlowProbe::Identity{settings.source_alias, settings.target_alias, settings.name},
          stats_)) {}

Flow::~Flow() {
    stop();
}

Result<std::unique_ptr<Flow>> Flow::create(const config::MirrorSourceSettings& settings) {
    std::unique_ptr<Flow> flow(new Flow(settings));
    auto policy = make_replication_policy(settings.raw);
    if (!policy) {
        return policy.error();
    }
    flow->policy_ = std::move(policy).value();
    auto topic_filter = TopicFilter::create(settings.raw);
    if (!topic_filter) {
        return topic_filter.error();
    }
    flow->topic_filter_.emplace(std::move(topic_filter).value());
    auto config_filter = ConfigPropertyFilter::create(settings.raw);
    if (!config_filter) {
        return config_filter.error();
    }
    flow->config_filter_.emplace(std::move(config_filter).value());

    for (const auto& key : settings.notes) {
        if (key.starts_with("source.cluster.") || key.starts_with("target.cluster.")) {
            flow->notes_.push_back("flow " + flow->name_ + ": '" + key +
                                   "' is not applied (MM2 takes only connection and security "
                                   "settings from the cluster prefix; use the consumer./"
                                   "producer. prefixes)");
        } else {
            flow->notes_.push_back("flow " + flow->name_ + ": '" + key +
                                   "' is not a MirrorSourceConnector setting; it is ignored");
        }
    }
    const std::string id_base = flow->name_ + "|" + settings.name + "|";
    // Each side (prefetch and held records, producer queue) gets half the bound, at least 1 MiB:
    // librdkafka needs fetch.max.bytes >= message.max.bytes (1,000,000).
    const long long half_bound = std::max<long long>(settings.max_in_flight_bytes / 2, 1 << 20);
    const auto half_kb = std::to_string(half_bound / 1024);
    const std::string memory_bound = "kmirror.max.in.flight.bytes bounds the data path's memory";
    auto& notes = flow->notes_;
    const auto& s = settings;

    auto source_consumer = build_client_spec(
        {s.source_alias,
         "replication-consumer",
         s.source_consumer,
         kafka::ClientRole::consumer,
         {{"client.id", id_base + "replication-consumer"},
          {"isolation.level", "read_committed"},
          {"queued.max.messages.kbytes", half_kb},
          // Only bytes bound the prefetch queue: librdkafka 2.0 stops fetching at a queue bound
          // and looks again only when its broker thread next wakes (up to 1 s later); the task
          // wakes it when the queue has drained (MirrorSourceTask::watch_fetcher).
          {"queued.min.messages", "10000000"},
          {"fetch.max.bytes", std::to_string(std::min<int64_t>(52428800, half_bound))}},
         // librdkafka's assign() needs a group.id; this group is never joined and nothing is
         // committed to it on the source (see docs/adr/0003).
         {{"group.id", s.progress_group + ".assign"},
          {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"},
          {"enable.partition.eof", "false"}},
         {{"queued.max.messages.kbytes", 1024, half_bound / 1024, memory_bound},
          {"fetch.max.bytes", 1 << 20, half_bound, memory_bound},
          {"max.partition.fetch.bytes", 1 << 16, std::min<long long>(half_bound, 1 << 20),
           "a partition's records beyond about one producer batch wait for its acknowledgement "
           "and hold back the other partitions' (docs/adr/0006)"}}},
        notes);
    if (!source_consumer) {
        return source_consumer.error();
    }
    auto target_producer =
        build_client_spec({s.target_alias,
                           "replication-producer",
                           s.target_producer,
                           kafka::ClientRole::producer,
                           {{"client.id", id_base + "replication-producer"},
                            {"enable.idempotence", "true"},
                            {"acks", "all"},
                            {"message.timeout.ms", "0"},
                            // Under load the batch gate makes the batches (records wait while
                            // their partition's batch is out); a longer linger only adds latency:
                            // 5 ms added ~8 ms at p50 at 10 MB/s, 1 ms adds ~2 ms.
                            {"linger.ms", "1"},
                            {"queue.buffering.max.kbytes", half_kb}},
                           {},
                           {{"queue.buffering.max.kbytes", 1024, half_bound / 1024, memory_bound},
                            {"batch.size", 1000000, 2147483647,
                             "librdkafka batches per partition; Java-sized batches "
                             "cost throughput"}}},
                          notes);
    if (!target_producer) {
        return target_producer.error();
    }
    keep_order_without_idempotence(*target_producer, notes);
    auto target_group = build_client_spec({s.target_alias,
                                           "replication-group",
                                           s.target_consumer,
                                           kafka::ClientRole::consumer,
                                           {{"client.id", id_base + "replication-group"},
                                            {"session.timeout.ms", "10000"},
                                            {"heartbeat.interval.ms", "2000"},
                                            {"topic.metadata.refresh.interval.ms", "10000"}},
                                           {{"group.id", s.progress_group},
                                            {"partition.assignment.strategy", "cooperative-sticky"},
                                            {"enable.auto.commit", "false"},
                                            {"enable.auto.offset.store", "false"},
                                            {"enable.partition.eof", "false"}}},
                                          notes);
    if (!target_group) {
        return target_group.error();
    }
    auto source_admin = build_client_spec({s.source_alias,
                                           "replication-source-admin",
                                           s.source_admin,
                                           kafka::ClientRole::admin,
                                           {{"client.id", id_base + "replication-source-admin"}},
                                           {}},
                                          notes);
    if (!source_admin) {
        return source_admin.error();
    }
    auto target_admin = build_client_spec({s.target_alias,
                                           "replication-target-admin",
                                           s.target_admin,
                                           kafka::ClientRole::admin,
                                           {{"client.id", id_base + "replication-target-admin"}},
                                           {}},
                                          notes);
    if (!target_admin) {
        return target_admin.error();
    }
    flow->source_admin_spec_ = std::move(source_admin).value();
    flow->target_admin_spec_ = std::move(target_admin).value();
    flow->task_clients_.source_consumer = std::move(source_consumer).value();
    flow->task_clients_.target_producer = std::move(target_producer).value();
    flow->task_clients_.target_group = std::move(target_group).value();

    if (s.emit_offset_syncs) {
        const bool on_source = s.offset_syncs_location == config::OffsetSyncsLocation::source;
        const std::string role =
            on_source ? "offset-syncs-source-producer" : "offset-syncs-target-producer";
        auto spec = build_client_spec({on_source ? s.source_alias : s.target_alias,
                                       role,
                                       on_source ? s.source_producer : s.target_producer,
                                       kafka::ClientRole::producer,
                                       {{"client.id", id_base + role}, {"linger.ms", "5"}},
                                       {{"enable.idempotence", "true"}, {"acks", "all"}}},
                                      notes);
        if (!spec) {
            return spec.error();
        }
        flow->task_clients_.offset_syncs_producer = std::move(spec).value();
        flow->task_clients_.offset_syncs_topic =
            flow->policy_->offset_syncs_topic(on_source ? s.target_alias : s.source_alias);
    }
    return flow;
}

Status Flow::start() {
    auto source_admin = kafka::Admin::create(source_admin_spec_);
    if (!source_admin) {
        return source_admin.error();
    }
    source_admin_.emplace(std::move(source_admin).value());
    auto target_admin = kafka::Admin::create(target_admin_spec_);
    if (!target_admin) {
        return target_admin.error();
    }
    target_admin_.emplace(std::move(target_admin).value());

    topic_sync_ = std::make_unique<TopicSync>(settings_, *policy_, *topic_filter_, *config_filter_,
                                              *source_admin_, *target_admin_);
    auto first = topic_sync_->refresh();
    if (!first) {
        return make_error("flow " + name_ + ": " + first.error().message +
                          " (is the cluster reachable at its bootstrap.servers?)");
    }
    if (task_clients_.offset_syncs_producer) {
        auto& admin = settings_.offset_syncs_location == config::OffsetSyncsLocation::source
                          ? *source_admin_
                          : *target_admin_;
        TopicSync::ensure_internal_topic(admin, task_clients_.offset_syncs_topic,
                                         settings_.offset_syncs_replication_factor,
                                         settings_.admin_timeout);
    }
    log::info("flow " + name_ + ": " + std::to_string(first->size()) +
              " topic(s) selected for replication");
    publish_topics(std::move(first).value());
    control_thread_ = std::thread([this] { control_loop(); });
    task_thread_ = std::thread([this] { task_loop(); });
    return {};
}

void Flow::stop() noexcept {
    if (stopping_.exchange(true)) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (task_ != nullptr) {
            task_->request_stop();
        }
    }
    wake_.notify_all();
    if (task_thread_.joinable()) {
        task_thread_.join();
    }
    if (control_thread_.joinable()) {
        control_thread_.join();
    }
}

bool Flow::wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, d, [this] { return stopping_.load(); });
    return !stopping_.load();
}

void Flow::publish_topics(TopicMap topics) {
    std::lock_guard lock(mutex_);
    if (task_ != nullptr) {
        task_->set_topics(topics);
    }
    topics_ = std::move(topics);
}

void Flow::control_loop() {
    auto next_refresh = Clock::now() + settings_.refresh_topics_interval;
    auto next_config_sync = Clock::now(); // first run at start, as MM2
    auto next_acl_sync = Clock::now();    // likewise (mm2.md §6.4)
    AclSync acl_sync(settings_, *policy_, *topic_filter_, *source_admin_, *target_admin_);
    while (!stopping_.load()) {
        const auto now = Clock::now();
        if (settings_.sync_topic_configs_enabled &&
            settings_.sync_topic_configs_interval.count() > 0 && now >= next_config_sync) {
            TopicMap current;
            {
                std::lock_guard lock(mutex_);
                current = topics_.value_or(TopicMap{});
            }
            topic_sync_->sync_configs(current);
            stats_->config_sync_errors += static_cast<uint64_t>(topic_sync_->last_errors());
            next_config_sync = Clock::now() + settings_.sync_topic_configs_interval;
        }
        if (settings_.sync_topic_acls_enabled && settings_.sync_topic_acls_interval.count() > 0 &&
            now >= next_acl_sync) {
            acl_sync.run();
            next_acl_sync = Clock::now() + settings_.sync_topic_acls_interval;
        }
        if (settings_.refresh_topics_enabled && settings_.refresh_topics_interval.count() > 0 &&
            now >= next_refresh) {
            auto refreshed = topic_sync_->refresh();
            if (refreshed) {
                publish_topics(std::move(refreshed).value());
            } else {
                log::warn("flow " + name_ + ": topic refresh failed: " + refreshed.error().message);
            }
            next_refresh = Clock::now() + settings_.refresh_topics_interval;
        }
        if (!wait_for(std::chrono::milliseconds(200))) {
            break;
        }
    }
}

void Flow::task_loop() {
    while (!stopping_.load()) {
        auto task = MirrorSourceTask::create(settings_, task_clients_, stats_, probe_.get());
        stats_->task_state = task ? TaskState::running : TaskState::failed;
        if (!task) {
            log::error("flow " + name_ +
                       ": cannot start the replication task: " + task.error().message);
        } else {
            {
                std::lock_guard lock(mutex_);
                task_ = task->get();
                if (topics_) {
                    task_->set_topics(*topics_);
                }
                if (stopping_.load()) {
                    task_->request_stop();
                }
            }
            auto outcome = (*task)->run();
            {
                std::lock_guard lock(mutex_);
                task_ = nullptr;
            }
            if (outcome.ok() || stopping_.load()) {
                if (!outcome.ok()) {
                    log::error("flow " + name_ + ": " + outcome.error().message);
                }
                continue;
            }
            stats_->task_state = TaskState::failed;
            log::error("flow " + name_ + ": replication task failed: " + outcome.error().message +
                       "; restarting in " + std::to_string(kTaskRestartDelay.count()) + " s");
        }
        wait_for(kTaskRestartDelay);
    }
}

} // namespace kmirror::mirror
