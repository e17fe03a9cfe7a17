#include "mirror/checkpoint_task.h"

#include "metrics/mirror_metrics.h"
#include "mirror/client_spec.h"
#include "mirror/topic_sync.h"
#include "util/log.h"

#include <algorithm>
#include <chrono>

namespace kmirror::mirror {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kGapCheckTimeout = std::chrono::milliseconds(3000);
constexpr int kWatermarkTimeoutMs = 5000; // one source partition's log start (offset runs pruning)

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        static_cast<std::atomic<uint64_t>*>(opaque)->fetch_add(1);
    }
}

} // namespace

bool is_kmirror_internal_group(const std::string& group, const std::string& progress_group) {
    const std::string_view g(group);
    return g.starts_with("kmirror-") || g.ends_with(".assign") ||
           (!progress_group.empty() && group == progress_group);
}

CheckpointTask::CheckpointTask(const config::MirrorCheckpointSettings& settings)
    : settings_(settings), name_(settings.source_alias + "->" + settings.target_alias) {}

CheckpointTask::~CheckpointTask() {
    stop();
}

Result<std::unique_ptr<CheckpointTask>>
CheckpointTask::create(const config::MirrorCheckpointSettings& s, std::function<bool()> is_leader) {
    std::unique_ptr<CheckpointTask> task(new CheckpointTask(s));
    task->is_leader_ = std::move(is_leader);
    auto policy = make_replication_policy(s.raw);
    if (!policy) {
        return policy.error();
    }
    task->policy_ = std::move(policy).value();
    auto topic_filter = TopicFilter::create(s.raw);
    if (!topic_filter) {
        return topic_filter.error();
    }
    task->topic_filter_.emplace(std::move(topic_filter).value());
    auto group_filter = GroupFilter::create(s.raw);
    if (!group_filter) {
        return group_filter.error();
    }
    task->group_filter_.emplace(std::move(group_filter).value());
    task->progress_group_ = s.raw.get("kmirror.progress.group.id");
    const bool on_source = s.offset_syncs_location == config::OffsetSyncsLocation::source;
    task->offset_syncs_topic_ =
        task->policy_->offset_syncs_topic(on_source ? s.target_alias : s.source_alias);
    task->checkpoints_topic_ = task->policy_->checkpoints_topic(s.source_alias);
    task->runs_topic_ = offset_runs_topic(s.source_alias);

    const std::string id = task->name_ + "|" + s.name + "|";
    auto& notes = task->notes_;
    auto build = [&](const std::string& cluster, const std::string& role, const Properties& java,
                     kafka::ClientRole client_role, kafka::Settings defaults,
                     kafka::Settings forced, kafka::ClientSpec& out) -> Status {
        defaults.insert(defaults.begin(), {"client.id", id + role});
        auto spec = build_client_spec(ClientSpecRequest{cluster, role, java, client_role,
                                                        std::move(defaults), std::move(forced)},
                                      notes);
        if (!spec) {
            return spec.error();
        }
        out = std::move(spec).value();
        return {};
    };
    using kafka::ClientRole;
    for (Status st : {
             build(on_source ? s.source_alias : s.target_alias, "offset-syncs-reader",
                   on_source ? s.source_consumer : s.target_consumer, ClientRole::consumer, {}, {},
                   task->offset_syncs_consumer_spec_),
             build(s.source_alias, "checkpoint-source-consumer", s.source_consumer,
                   ClientRole::consumer, {},
                   {{"isolation.level", "read_committed"},
                    {"group.id", "kmirror-checkpoint-" + task->name_ + ".assign"},
                    {"enable.auto.commit", "false"},
                    {"enable.auto.offset.store", "false"},
                    {"enable.partition.eof", "true"}},
                   task->source_consumer_spec_),
             build(s.source_alias, "checkpoint-source-admin", s.source_admin, ClientRole::admin, {},
                   {}, task->source_admin_spec_),
             build(s.target_alias, "checkpoint-target-admin", s.target_admin, ClientRole::admin, {},
                   {}, task->target_admin_spec_),
             build(s.target_alias, "checkpoint-target-consumer", s.target_consumer,
                   ClientRole::consumer, {{"session.timeout.ms", "10000"}}, {},
                   task->target_consumer_spec_),
             build(s.target_alias, "checkpoint-producer", s.target_producer, ClientRole::producer,
                   {{"linger.ms", "5"}}, {{"enable.idempotence", "true"}, {"acks", "all"}},
                   task->target_producer_spec_),
         }) {
        if (!st) {
            return st.error();
        }
    }
    return task;
}

Status CheckpointTask::start() {
    if (auto st = open(); !st) {
        return st;
    }
    TopicSync::ensure_internal_topic(*target_admin_, checkpoints_topic_,
                                     settings_.checkpoints_replication_factor,
                                     settings_.admin_timeout);
    TopicSync::ensure_internal_topic(*target_admin_, runs_topic_,
                                     settings_.checkpoints_replication_factor,
                                     settings_.admin_timeout);
    thread_ = std::thread([this] { run(); });
    return {};
}

Status CheckpointTask::open() {
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

    auto reader = PartitionReader::create(offset_syncs_consumer_spec_, offset_syncs_topic_);
    if (!reader) {
        return reader.error();
    }
    syncs_reader_.emplace(std::move(reader).value());

    auto conf = kafka::make_conf(target_producer_spec_);
    if (!conf) {
        return conf.error();
    }
    rd_kafka_conf_set_opaque(conf->get(), &delivery_errors_);
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &on_delivery);
    auto producer = kafka::make_client(kafka::ClientType::producer, std::move(conf).value(),
                                       target_producer_spec_);
    if (!producer) {
        return producer.error();
    }
    producer_ = std::move(producer).value();
    return {};
}

Result<std::vector<GroupOffsetReport>> CheckpointTask::report(const std::string& only_group) {
    if (!syncs_reader_) {
        if (auto st = open(); !st) {
            return st.error();
        }
        load_runs();
    }
    if (!catch_up_syncs()) {
        return make_error("cluster '" + syncs_reader_->topic() +
                          "': offset syncs not read to the "
                          "end within admin.timeout.ms");
    }
    std::vector<std::string> groups;
    if (!only_group.empty()) {
        groups.push_back(only_group);
    } else {
        auto listed = source_admin_->list_consumer_groups(settings_.admin_timeout);
        if (!listed) {
            return listed.error();
        }
        for (const auto& g : *listed) {
            groups.push_back(g.group);
        }
        groups = selected_groups(groups);
        std::sort(groups.begin(), groups.end());
    }
    std::vector<GroupOffsetReport> out;
    for (const auto& group : groups) {
        auto source = source_admin_->list_consumer_group_offsets(group, settings_.admin_timeout);
        if (!source) {
            return source.error();
        }
        std::vector<kafka::TopicPartitionKey> remote;
        for (const auto& [tp, committed] : *source) {
            remote.emplace_back(checkpoint_topic_name(*policy_, settings_.source_alias,
                                                      settings_.target_alias, tp.first),
                                tp.second);
        }
        auto target =
            target_admin_->list_consumer_group_offsets(group, settings_.admin_timeout, &remote);
        if (!target) {
            return target.error();
        }
        for (const auto& [tp, committed] : *source) {
            if (!topic_filter_->should_replicate_topic(tp.first)) {
                continue;
            }
            GroupOffsetReport r;
            r.group = group;
            r.source_topic = tp.first;
            r.partition = tp.second;
            r.source_committed = committed.offset;
            r.target_topic = checkpoint_topic_name(*policy_, settings_.source_alias,
                                                   settings_.target_alias, tp.first);
            r.translation = translate(tp.first, tp.second, committed.offset);
            if (auto wm = source_admin_->watermarks(tp.first, tp.second, settings_.admin_timeout)) {
                r.source_end = wm->second;
            }
            if (auto wm =
                    target_admin_->watermarks(r.target_topic, tp.second, settings_.admin_timeout)) {
                r.target_end = wm->second;
            }
            if (auto it = target->find({r.target_topic, tp.second}); it != target->end()) {
                r.target_committed = it->second.offset;
            }
            out.push_back(std::move(r));
        }
    }
    return out;
}

void CheckpointTask::stop() noexcept {
    if (stopping_.exchange(true)) {
        return;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    if (producer_) {
        rd_kafka_flush(producer_.get(), 5000);
        producer_.reset();
    }
    if (tail_consumer_) {
        kafka::close_consumer(tail_consumer_);
        tail_consumer_.reset();
    }
    syncs_reader_.reset();
}

bool CheckpointTask::wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, d, [this] { return stopping_.load(); });
    return !stopping_.load();
}

void CheckpointTask::consume_syncs(std::chrono::milliseconds wait) {
    auto st = syncs_reader_->poll(
        [this](std::string_view key, std::string_view value, int64_t offset) {
            auto sync = decode_offset_sync(key, value);
            if (!sync) {
                log::warn("flow " + name_ + ": topic '" + offset_syncs_topic_ + "' offset " +
                          std::to_string(offset) + ": skipping a record: " + sync.error().message);
                return;
            }
            translator_.handle(*sync, offset);
        },
        wait);
    if (!st) {
        log::warn("flow " + name_ + ": " + st.error().message);
        wait_for(std::chrono::milliseconds(500));
    }
}

bool CheckpointTask::catch_up_syncs() {
    auto done = syncs_reader_->read_to_end(
        [this](std::string_view key, std::string_view value, int64_t offset) {
            auto sync = decode_offset_sync(key, value);
            if (!sync) {
                log::warn("flow " + name_ + ": topic '" + offset_syncs_topic_ + "' offset " +
                          std::to_string(offset) + ": skipping a record: " + sync.error().message);
                return;
            }
            translator_.handle(*sync, offset);
        },
        settings_.admin_timeout);
    if (!done) {
        log::warn("flow " + name_ + ": " + done.error().message);
        return false;
    }
    if (*done && !translator_.read_to_end()) {
        translator_.mark_read_to_end();
        log::info("flow " + name_ + ": offset syncs loaded from '" + offset_syncs_topic_ + "'");
    }
    gap_cache_.clear();
    return *done;
}

bool CheckpointTask::read_runs(PersistedRuns& out) {
    auto reader = PartitionReader::create(target_consumer_spec_, runs_topic_);
    if (!reader) {
        log::warn("flow " + name_ + ": " + reader.error().message);
        return false;
    }
    PersistedRuns loaded;
    size_t skipped = 0;
    auto done = reader->read_to_end(
        [&](std::string_view key, std::string_view value, int64_t /*offset*/) {
            auto k = decode_run_key(key);
            if (!k) {
                ++skipped;
                return;
            }
            if (value.data() == nullptr) {
                loaded.apply_record(*k, std::nullopt);
                return;
            }
            auto run = decode_run(key, value);
            if (!run) {
                ++skipped;
                return;
            }
            loaded.apply_record(*k, *run);
        },
        settings_.admin_timeout);
    if (skipped > 0) {
        log::warn("flow " + name_ + ": cluster '" + settings_.target_alias + "' topic '" +
                  runs_topic_ + "': skipped " + std::to_string(skipped) + " undecodable record(s)");
    }
    if (!done || !*done) {
        log::warn("flow " + name_ + ": cluster '" + settings_.target_alias + "' topic '" +
                  runs_topic_ + "': not read to the end" +
                  (done ? std::string(" within admin.timeout.ms") : ": " + done.error().message));
        return false;
    }
    out = std::move(loaded);
    return true;
}

void CheckpointTask::load_runs() {
    PersistedRuns loaded;
    if (!read_runs(loaded)) {
        log::warn("flow " + name_ +
                  ": translating from the offset syncs alone; what compaction "
                  "removed from them falls back to MM2's rule");
        return;
    }
    auto runs = loaded.all();
    const size_t read = runs.size();
    const bool on_source = settings_.offset_syncs_location == config::OffsetSyncsLocation::source;
    auto& syncs_admin = on_source ? *source_admin_ : *target_admin_;
    if (auto wm = syncs_admin.watermarks(offset_syncs_topic_, 0, settings_.admin_timeout)) {
        runs = runs_within(std::move(runs), wm->second);
        if (runs.size() != read) {
            log::warn("flow " + name_ + ": topic '" + runs_topic_ + "': " +
                      std::to_string(read - runs.size()) + " run(s) ignored: they refer to " +
                      "offset syncs past the end of '" + offset_syncs_topic_ + "' (recreated?)");
        }
    } else {
        runs.clear(); // no offset syncs (yet): the runs describe another history
    }
    translator_.load_runs(runs);
    persisted_runs_ = std::move(loaded);
    persisted_runs_read_ = true;
    if (!runs.empty()) {
        log::info("flow " + name_ + ": " + std::to_string(runs.size()) +
                  " offset run(s) loaded from '" + runs_topic_ + "'");
    }
}

Status CheckpointTask::persist_runs() {
    if (!persisted_runs_read_) {
        PersistedRuns view;
        if (!read_runs(view)) {
            return make_error("cluster '" + settings_.target_alias + "' topic '" + runs_topic_ +
                              "': cannot read the offset runs written so far");
        }
        persisted_runs_ = std::move(view);
        persisted_runs_read_ = true;
    }
    const auto changes = persisted_runs_.diff(translator_.runs());
    if (changes.empty()) {
        return {};
    }
    for (const auto& c : changes) {
        auto key = encode_run_key(c.run);
        auto value = c.tombstone ? Result<std::string>(std::string()) : encode_run_value(c.run);
        if (!key || !value) {
            return make_error("topic '" + c.run.topic + "' partition " +
                              std::to_string(c.run.partition) + ": cannot encode an offset run: " +
                              (key ? value.error().message : key.error().message));
        }
        auto err = rd_kafka_producev(
            producer_.get(), RD_KAFKA_V_TOPIC(runs_topic_.c_str()), RD_KAFKA_V_PARTITION(0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key->data(), key->size()),
            RD_KAFKA_V_VALUE(c.tombstone ? nullptr : value->data(),
                             c.tombstone ? 0 : value->size()),
            RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error("cluster '" + settings_.target_alias + "' topic '" + runs_topic_ +
                              "': cannot produce: " + rd_kafka_err2str(err));
        }
    }
    const uint64_t errors_before = delivery_errors_.load();
    if (rd_kafka_flush(producer_.get(), static_cast<int>(settings_.admin_timeout.count())) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        delivery_errors_.load() != errors_before) {
        persisted_runs_read_ = false; // unknown what landed: read the topic again next time
        return make_error("cluster '" + settings_.target_alias + "' topic '" + runs_topic_ +
                          "': offset runs not acknowledged; written again next time");
    }
    persisted_runs_.apply(changes);
    log::debug("flow " + name_ + ": " + std::to_string(changes.size()) +
               " offset run record(s) written");
    return {};
}

Status CheckpointTask::load_checkpoints() {
    auto reader = PartitionReader::create(target_consumer_spec_, checkpoints_topic_);
    if (!reader) {
        return reader.error();
    }
    CheckpointStore loaded;
    auto done = reader->read_to_end(
        [&](std::string_view key, std::string_view value, int64_t /*offset*/) {
            if (auto c = decode_checkpoint(key, value)) {
                loaded.put(*c);
            }
        },
        settings_.admin_timeout);
    if (!done) {
        return done.error();
    }
    if (!*done) {
        return make_error("cluster '" + settings_.target_alias + "' topic '" + checkpoints_topic_ +
                          "': not read to the end within admin.timeout.ms");
    }
    store_ = std::move(loaded);
    return {};
}

void CheckpointTask::run() {
    bool was_leader = false;
    auto next_emit = Clock::now();
    auto next_sync = Clock::now() + settings_.sync_group_offsets_interval;
    load_runs();
    catch_up_syncs();
    auto next_forget = Clock::now() + settings_.offset_runs_prune_interval;
    while (!stopping_.load()) {
        consume_syncs(std::chrono::milliseconds(100));
        if (Clock::now() >= next_forget) {
            forget_runs_below_log_start();
            next_forget = Clock::now() + settings_.offset_runs_prune_interval;
        }
        const bool leader = is_leader_ ? is_leader_() : true;
        if (!leader) {
            was_leader = false;
            store_loaded_ = false;
            persisted_runs_read_ = false;
            continue;
        }
        if (!was_leader) {
            was_leader = true;
            next_emit = Clock::now();
            next_sync = Clock::now() + settings_.sync_group_offsets_interval;
        }
        if (!store_loaded_) {
            if (auto st = load_checkpoints(); !st) {
                log::warn("flow " + name_ + ": cannot load checkpoints: " + st.error().message);
                ++stats_->errors;
                wait_for(std::chrono::seconds(1));
                continue;
            }
            store_loaded_ = true;
        }
        const auto now = Clock::now();
        if (settings_.emit_checkpoints_enabled && now >= next_emit) {
            next_emit = now + settings_.emit_checkpoints_interval;
            if (auto st = emit_checkpoints(); !st) {
                ++stats_->errors;
                log::warn("flow " + name_ + ": checkpoints: " + st.error().message);
            } else if (auto runs = persist_runs(); !runs) {
                ++stats_->errors;
                log::warn("flow " + name_ + ": offset runs: " + runs.error().message);
            }
        }
        if (settings_.sync_group_offsets_enabled && Clock::now() >= next_sync) {
            next_sync = Clock::now() + settings_.sync_group_offsets_interval;
            if (auto st = sync_group_offsets(); !st) {
                ++stats_->errors;
                log::warn("flow " + name_ + ": group offset sync: " + st.error().message);
            }
        }
    }
}

std::vector<std::string>
CheckpointTask::selected_groups(const std::vector<std::string>& groups) const {
    std::vector<std::string> out;
    for (const auto& g : groups) {
        if (!is_kmirror_internal_group(g, progress_group_) &&
            group_filter_->should_replicate_group(g)) {
            out.push_back(g);
        }
    }
    return out;
}

bool CheckpointTask::open_tail_consumer() {
    if (!tail_consumer_) {
        auto consumer = kafka::make_consumer(source_consumer_spec_);
        if (!consumer) {
            log::warn("flow " + name_ + ": " + consumer.error().message);
            return false;
        }
        tail_consumer_ = std::move(consumer).value();
    }
    return true;
}

// Intervals below a source partition's log start serve no translation any more (no group can
// resume at a record that is gone); without this a partition with transaction markers or
// compaction holes would keep one interval per hole for ever. The leader's next persist_runs
// tombstones what was dropped.
void CheckpointTask::forget_runs_below_log_start() {
    const auto partitions = translator_.partitions_with_history();
    if (partitions.empty() || !open_tail_consumer()) {
        return;
    }
    size_t dropped = 0;
    size_t shrunk = 0;
    for (const auto& [topic, partition] : partitions) {
        if (stopping_.load()) {
            return;
        }
        int64_t low = -1;
        int64_t high = -1;
        const auto err = rd_kafka_query_watermark_offsets(
            tail_consumer_.get(), topic.c_str(), partition, &low, &high, kWatermarkTimeoutMs);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log::debug("flow " + name_ + ": cluster '" + settings_.source_alias + "' topic '" +
                       topic + "' partition " + std::to_string(partition) +
                       ": log start offset unknown (" + rd_kafka_err2str(err) +
                       "); its offset runs stay until the next pass");
            continue;
        }
        if (const size_t n = translator_.forget_below(topic, partition, low); n > 0) {
            dropped += n;
            ++shrunk;
        }
    }
    if (dropped > 0) {
        log::info("flow " + name_ + ": forgot " + std::to_string(dropped) +
                  " offset run(s) below the source log start of " + std::to_string(shrunk) +
                  " partition(s)");
    }
}

bool CheckpointTask::source_gap_is_empty(const std::string& topic, int32_t partition, int64_t from,
                                         int64_t to) {
    const auto key = std::make_tuple(topic, partition, from, to);
    if (auto it = gap_cache_.find(key); it != gap_cache_.end()) {
        return it->second;
    }
    if (!open_tail_consumer()) {
        return false;
    }
    auto list = kafka::make_partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = from;
    if (rd_kafka_assign(tail_consumer_.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return false;
    }
    std::optional<bool> empty;
    const auto deadline = Clock::now() + kGapCheckTimeout;
    while (!empty && Clock::now() < deadline && !stopping_.load()) {
        kafka::MessagePtr m(rd_kafka_consumer_poll(tail_consumer_.get(), 100));
        if (!m || m->rkt == nullptr || topic != rd_kafka_topic_name(m->rkt) ||
            m->partition != partition) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            empty = m->offset >= to;
        } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            empty = m->offset >= to; // the first readable record at or after `from`
        } else {
            empty = false;
        }
    }
    rd_kafka_assign(tail_consumer_.get(), nullptr);
    if (empty) {
        gap_cache_[key] = *empty;
    }
    return empty.value_or(false);
}

Translation CheckpointTask::translate(const std::string& topic, int32_t partition,
                                      int64_t upstream) {
    auto t = translator_.translate(topic, partition, upstream);
    if (t.kind == TranslationKind::beyond_end &&
        source_gap_is_empty(topic, partition, t.tail.upstream + 1, upstream)) {
        t = OffsetTranslator::after_empty_tail(t);
    }
    switch (t.kind) {
    case TranslationKind::exact:
        ++stats_->translations_exact;
        break;
    case TranslationKind::conservative:
        ++stats_->translations_conservative;
        break;
    default:
        ++stats_->translations_unavailable;
        break;
    }
    return t;
}

// Per group: when its offsets were last translated and whether every partition was exact
// (kmirror_checkpoint_age_seconds, kmirror_checkpoint_last_translation_exact).
void CheckpointTask::publish_group_metrics(const std::map<std::string, bool>& groups) {
    const int64_t now = now_ms();
    for (const auto& [group, exact] : groups) {
        auto it = group_metrics_.find(group);
        if (it == group_metrics_.end()) {
            it = group_metrics_
                     .emplace(group, std::make_unique<metrics::CheckpointGroupMetrics>(
                                         metrics::default_registry(), settings_.source_alias,
                                         settings_.target_alias, group))
                     .first;
        }
        it->second->on_checkpoint(now, exact);
    }
}

Status CheckpointTask::emit_checkpoints() {
    if (!catch_up_syncs()) {
        return make_error("offset syncs of '" + offset_syncs_topic_ + "' not read to the end yet");
    }
    auto listed = source_admin_->list_consumer_groups(settings_.admin_timeout);
    if (!listed) {
        return listed.error();
    }
    std::vector<std::string> names;
    for (const auto& g : *listed) {
        names.push_back(g.group);
    }
    std::vector<Checkpoint> emitted;
    std::map<std::string, bool> translated_groups; // group -> every partition exact this round
    for (const auto& group : selected_groups(names)) {
        const int64_t timestamp = now_ms();
        auto offsets = source_admin_->list_consumer_group_offsets(group, settings_.admin_timeout);
        if (!offsets) {
            log::warn("flow " + name_ + ": " + offsets.error().message);
            continue;
        }
        for (const auto& [tp, committed] : *offsets) {
            const auto& [topic, partition] = tp;
            if (!topic_filter_->should_replicate_topic(topic) || committed.offset < 0) {
                continue;
            }
            auto t = translate(topic, partition, committed.offset);
            if (!t.ok() || t.downstream < 0) {
                continue;
            }
            auto [entry, fresh] = translated_groups.emplace(group, true);
            entry->second = entry->second && t.kind == TranslationKind::exact;
            Checkpoint c{group,
                         checkpoint_topic_name(*policy_, settings_.source_alias,
                                               settings_.target_alias, topic),
                         partition,
                         committed.offset,
                         t.downstream,
                         committed.metadata};
            if (!store_.should_emit(c)) {
                continue;
            }
            auto key = encode_key(c);
            auto value = encode_value(c);
            if (!key || !value) {
                log::warn("flow " + name_ + ": group '" + group + "': cannot encode checkpoint: " +
                          (key ? value.error().message : key.error().message));
                continue;
            }
            auto err =
                rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(checkpoints_topic_.c_str()),
                                  RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_KEY(key->data(), key->size()),
                                  RD_KAFKA_V_VALUE(value->data(), value->size()),
                                  RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return make_error("cluster '" + settings_.target_alias + "' topic '" +
                                  checkpoints_topic_ +
                                  "': cannot produce: " + rd_kafka_err2str(err));
            }
            emitted.push_back(std::move(c));
        }
    }
    if (emitted.empty()) {
        publish_group_metrics(translated_groups);
        return {};
    }
    const uint64_t errors_before = delivery_errors_.load();
    if (rd_kafka_flush(producer_.get(), static_cast<int>(settings_.admin_timeout.count())) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        delivery_errors_.load() != errors_before) {
        return make_error("cluster '" + settings_.target_alias + "' topic '" + checkpoints_topic_ +
                          "': checkpoints not acknowledged; they are emitted again next time");
    }
    for (const auto& c : emitted) {
        store_.put(c);
    }
    stats_->checkpoints_emitted += emitted.size();
    publish_group_metrics(translated_groups);
    log::debug("flow " + name_ + ": " + std::to_string(emitted.size()) + " checkpoint(s) written");
    return {};
}

Status CheckpointTask::sync_group_offsets() {
    std::vector<std::string> groups;
    for (const auto& [group, partitions] : store_.groups()) {
        if (!is_kmirror_internal_group(group, progress_group_) &&
            group_filter_->should_replicate_group(group)) {
            groups.push_back(group);
        }
    }
    if (groups.empty()) {
        return {};
    }
    auto described = target_admin_->describe_consumer_groups(groups, settings_.admin_timeout);
    if (!described) {
        return described.error();
    }
    for (const auto& group : groups) {
        auto d = described->find(group);
        if (d != described->end() && !d->second.error.empty()) {
            log::warn("flow " + name_ + ": cluster '" + settings_.target_alias + "' group '" +
                      group + "': cannot describe: " + d->second.error);
            continue;
        }
        if (d != described->end() && d->second.active()) {
            // Consumers use this group on the target: its offsets are theirs now (MM2 tries and
            // the broker refuses; not even trying keeps the log quiet).
            ++stats_->groups_skipped_active;
            continue;
        }
        const auto& checkpoints = store_.groups().at(group);
        std::vector<kafka::TopicPartitionKey> partitions;
        for (const auto& [tp, checkpoint] : checkpoints) {
            partitions.push_back(tp);
        }
        auto target =
            target_admin_->list_consumer_group_offsets(group, settings_.admin_timeout, &partitions);
        if (!target) {
            log::warn("flow " + name_ + ": " + target.error().message);
            continue;
        }
        auto to_write = offsets_to_sync(checkpoints, *target);
        if (to_write.empty()) {
            continue;
        }
        if (auto st = target_admin_->alter_consumer_group_offsets(group, to_write,
                                                                  settings_.admin_timeout);
            !st) {
            log::warn("flow " + name_ + ": " + st.error().message +
                      " (likely consumers currently using this group in the target cluster)");
            continue;
        }
        stats_->group_offsets_written += to_write.size();
    }
    return {};
}

} // namespace kmirror::mirror
