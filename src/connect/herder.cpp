#include "connect/herder.h"

#include "config/connector_config.h"
#include "kafka/admin.h"
#include "mirror/client_spec.h"
#include "mirror/replication_policy.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/strings.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace kmirror::connect {
namespace {

using namespace std::chrono_literals;

constexpr auto kStoreTimeout = 30s;
const std::string kConnectorPrefix = "connector-";
const std::string kTargetStatePrefix = "target-state-";
const std::string kRestartPrefix = "restart-connector-";
const std::string kTaskRestartPrefix = "kmirror-restart-task-";
const std::string kWorkerPrefix = "worker-";

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string state_name(TargetState s) {
    switch (s) {
    case TargetState::paused:
        return "PAUSED";
    case TargetState::stopped:
        return "STOPPED";
    case TargetState::started:
        break;
    }
    return "STARTED";
}

std::string connector_not_found(const std::string& name) {
    return "Connector " + name + " not found";
}

} // namespace

Herder::Herder(WorkerConfig config, std::string worker_id)
    : config_(std::move(config)), worker_id_(std::move(worker_id)),
      config_log_(config_.config_topic, config_.config_replication_factor, "config",
                  [this](const std::string& k, const std::optional<std::string>& v) {
                      on_config_record(k, v);
                  }),
      status_log_(config_.status_topic, config_.status_replication_factor, "status",
                  [this](const std::string& k, const std::optional<std::string>& v) {
                      on_status_record(k, v);
                  }) {}

Herder::~Herder() {
    stop();
}

Status Herder::start() {
    if (auto st = config_log_.start(config_, kStoreTimeout); !st) {
        return st;
    }
    if (auto st = status_log_.start(config_, kStoreTimeout); !st) {
        return st;
    }
    started_ = true;
    thread_ = std::thread([this] { reconcile_loop(); });
    publisher_thread_ = std::thread([this] { publish_loop(); });
    return {};
}

void Herder::stop() noexcept {
    if (!started_) {
        return;
    }
    started_ = false;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    if (publisher_thread_.joinable()) {
        publisher_thread_.join();
    }
    for (auto& [name, r] : running_) {
        if (r.runner) {
            r.runner->stop();
        }
    }
    running_.clear();
    // Leave the cluster at once: other workers drop this worker's tasks from the status.
    if (auto st = status_log_.write(kWorkerPrefix + worker_id_, std::nullopt, 5s); !st) {
        log::warn("worker: " + st.error().message);
    }
    config_log_.stop();
    status_log_.stop();
}

void Herder::on_config_record(const std::string& key, const std::optional<std::string>& value) {
    std::lock_guard lock(mutex_);
    try {
        if (strings::starts_with(key, kConnectorPrefix)) {
            const auto name = key.substr(kConnectorPrefix.size());
            if (!value) {
                entries_.erase(name);
            } else {
                auto j = nlohmann::json::parse(*value);
                ConnectorConfig cfg;
                for (const auto& [k, v] : j.at("properties").items()) {
                    cfg[k] = v.is_string() ? v.get<std::string>() : v.dump();
                }
                entries_[name].config = std::move(cfg);
            }
        } else if (strings::starts_with(key, kTargetStatePrefix)) {
            const auto name = key.substr(kTargetStatePrefix.size());
            auto it = entries_.find(name);
            if (it != entries_.end() && value) {
                const auto state = nlohmann::json::parse(*value).at("state").get<std::string>();
                it->second.target = state == "PAUSED"    ? TargetState::paused
                                    : state == "STOPPED" ? TargetState::stopped
                                                         : TargetState::started;
            }
        } else if (strings::starts_with(key, kRestartPrefix)) {
            auto it = entries_.find(key.substr(kRestartPrefix.size()));
            if (it != entries_.end() && value) {
                ++it->second.restarts;
            }
        } else if (strings::starts_with(key, kTaskRestartPrefix)) {
            auto it = entries_.find(key.substr(kTaskRestartPrefix.size()));
            if (it != entries_.end() && value) {
                ++it->second.task_restarts[nlohmann::json::parse(*value).at("task").get<int>()];
            }
        }
    } catch (const std::exception& e) {
        log::warn("worker: skipping unreadable record '" + key + "' in '" + config_.config_topic +
                  "': " + e.what());
        return;
    }
    changed_ = true;
    wake_.notify_all();
}

void Herder::on_status_record(const std::string& key, const std::optional<std::string>& value) {
    if (!strings::starts_with(key, kWorkerPrefix)) {
        return;
    }
    std::lock_guard lock(mutex_);
    const auto id = key.substr(kWorkerPrefix.size());
    if (!value) {
        workers_.erase(id);
        return;
    }
    if (auto report = worker_report_from_json(*value)) {
        workers_[id] = std::move(*report);
    }
}

std::map<std::string, Herder::Entry> Herder::snapshot() {
    std::lock_guard lock(mutex_);
    return entries_;
}

void Herder::reconcile_loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            // Also periodically: task restarts depend on the live workers (task ids).
            wake_.wait_for(lock, config_.status_interval, [&] { return stopping_ || changed_; });
            if (stopping_) {
                return;
            }
            changed_ = false;
        }
        reconcile();
    }
}

void Herder::reconcile() {
    const auto entries = snapshot();
    const auto live = live_workers();
    // Stop what is gone, paused, stopped, changed or asked to restart.
    for (auto it = running_.begin(); it != running_.end();) {
        auto e = entries.find(it->first);
        bool keep = e != entries.end() && e->second.target == TargetState::started &&
                    e->second.config == it->second.config &&
                    e->second.restarts == it->second.restarts;
        if (keep && it->second.runner) {
            const auto report = it->second.runner->report();
            const int index = report.singleton ? (report.leader ? 0 : -1)
                                               : task_index(it->first, live, worker_id_);
            if (index >= 0) {
                auto t = e->second.task_restarts.find(index);
                const uint64_t n = t == e->second.task_restarts.end() ? 0 : t->second;
                keep = n <= it->second.task_restarts[index];
            }
        }
        if (keep) {
            ++it;
            continue;
        }
        {
            std::lock_guard lock(mutex_);
            reportable_.erase(it->first);
        }
        if (it->second.runner) {
            log::info("worker: stopping connector " + it->first);
            it->second.runner->stop();
        }
        it = running_.erase(it);
    }
    // Start what should run here.
    for (const auto& [name, e] : entries) {
        if (e.target != TargetState::started || running_.count(name) != 0) {
            continue;
        }
        Running r;
        r.config = e.config;
        r.restarts = e.restarts;
        r.task_restarts = e.task_restarts;
        auto runner = ConnectorRunner::create(name, e.config, config_.group_id, nullptr,
                                              config_.offset_topic);
        if (!runner) {
            log::error("worker: connector " + name + ": " + runner.error().message);
            r.failure = LocalTaskReport{"FAILED",
                                        "org.apache.kafka.connect.errors.ConnectException: " +
                                            runner.error().message,
                                        false, false};
            running_.emplace(name, std::move(r));
            continue;
        }
        for (const auto& note : (*runner)->notes()) {
            log::warn("connector " + name + ": " + note);
        }
        r.runner = std::shared_ptr<ConnectorRunner>(std::move(runner).value());
        {
            std::lock_guard lock(mutex_);
            reportable_[name] = r.runner; // UNASSIGNED while starting
        }
        log::info("worker: starting connector " + name);
        if (auto st = r.runner->start(); !st) {
            log::error("worker: connector " + name + " failed to start: " + st.error().message);
        }
        running_.emplace(name, std::move(r));
    }
    std::map<std::string, LocalTaskReport> fixed;
    for (const auto& [name, e] : entries) {
        auto it = running_.find(name);
        if (it != running_.end() && it->second.failure) {
            fixed[name] = *it->second.failure;
        } else if (e.target == TargetState::paused) {
            auto plugin = find_plugin(
                e.config.count("connector.class") ? e.config.at("connector.class") : std::string());
            const bool singleton = plugin && plugin->kind != ConnectorKind::source;
            fixed[name] = LocalTaskReport{"PAUSED", "", singleton, singleton};
        }
    }
    {
        std::lock_guard lock(mutex_);
        fixed_reports_ = std::move(fixed);
        publish_now_ = true;
    }
    wake_.notify_all();
}

void Herder::publish_loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, config_.status_interval,
                           [&] { return stopping_ || publish_now_; });
            if (stopping_) {
                return;
            }
            publish_now_ = false;
        }
        publish_status();
    }
}

void Herder::publish_status() {
    WorkerReport report;
    std::map<std::string, std::shared_ptr<ConnectorRunner>> runners;
    {
        std::lock_guard lock(mutex_);
        report.connectors = fixed_reports_;
        runners = reportable_;
    }
    for (const auto& [name, runner] : runners) {
        report.connectors[name] = runner->report();
    }
    report.worker_id = worker_id_;
    report.time_ms = now_ms();
    if (auto st = status_log_.write(kWorkerPrefix + worker_id_, to_json(report), 10s); !st) {
        log::warn("worker: cannot publish status: " + st.error().message);
    }
}

std::vector<WorkerReport> Herder::live_workers() {
    std::lock_guard lock(mutex_);
    std::vector<WorkerReport> out;
    const auto cutoff = now_ms() - config_.liveness_timeout.count();
    for (const auto& [id, w] : workers_) {
        if (w.time_ms >= cutoff) {
            out.push_back(w);
        }
    }
    return out; // std::map order: sorted by worker id
}

void Herder::sync_config() {
    if (auto st = config_log_.sync(kStoreTimeout); !st) {
        throw RestError(500, st.error().message);
    }
}

void Herder::write_config(const std::string& key, const std::optional<std::string>& value) {
    if (auto st = config_log_.write(key, value, kStoreTimeout); !st) {
        throw RestError(500, st.error().message);
    }
}

std::string Herder::kafka_cluster_id() {
    return config_log_.cluster_id();
}

std::vector<std::string> Herder::connector_names() {
    sync_config();
    std::vector<std::string> names;
    for (const auto& [name, e] : snapshot()) {
        names.push_back(name);
    }
    return names;
}

std::optional<ConnectorInfo> Herder::connector_info(const std::string& name) {
    sync_config();
    const auto entries = snapshot();
    auto it = entries.find(name);
    if (it == entries.end()) {
        return std::nullopt;
    }
    ConnectorInfo info{name, it->second.config, 0, "source"};
    if (it->second.target != TargetState::stopped) {
        auto status = aggregate_status(name, it->second.target, live_workers(), worker_id_);
        info.tasks = static_cast<int>(status.tasks.size());
    }
    return info;
}

std::optional<ConnectorStatus> Herder::connector_status(const std::string& name) {
    sync_config();
    const auto entries = snapshot();
    auto it = entries.find(name);
    if (it == entries.end()) {
        return std::nullopt;
    }
    return aggregate_status(name, it->second.target, live_workers(), worker_id_);
}

bool Herder::put_connector_config(const std::string& name, const ConnectorConfig& config,
                                  std::optional<TargetState> initial_state) {
    sync_config();
    const bool created = snapshot().count(name) == 0;
    nlohmann::json props = nlohmann::json::object();
    for (const auto& [k, v] : config) {
        props[k] = v;
    }
    if (created && initial_state && *initial_state != TargetState::started) {
        write_config(kTargetStatePrefix + name,
                     nlohmann::json{{"state", state_name(*initial_state)}}.dump());
    }
    write_config(kConnectorPrefix + name, nlohmann::json{{"properties", props}}.dump());
    if (created && (!initial_state || *initial_state == TargetState::started)) {
        // A connector deleted while paused must not come back paused.
        write_config(kTargetStatePrefix + name, nlohmann::json{{"state", "STARTED"}}.dump());
    }
    std::string shown;
    for (const auto& [k, v] : config) {
        shown += (shown.empty() ? "" : ", ") + k + "=" + shown_value(k, v);
    }
    log::info("worker: connector " + name + (created ? " created: " : " updated: ") + shown);
    return created;
}

void Herder::delete_connector(const std::string& name) {
    sync_config();
    if (snapshot().count(name) == 0) {
        throw RestError(404, connector_not_found(name));
    }
    write_config(kConnectorPrefix + name, std::nullopt);
    write_config(kTargetStatePrefix + name, std::nullopt);
    log::info("worker: connector " + name + " deleted");
}

void Herder::set_target_state(const std::string& name, TargetState state) {
    sync_config();
    if (snapshot().count(name) == 0) {
        throw RestError(404, connector_not_found(name));
    }
    write_config(kTargetStatePrefix + name, nlohmann::json{{"state", state_name(state)}}.dump());
}

void Herder::restart_connector(const std::string& name, bool include_tasks, bool only_failed) {
    const auto status = connector_status(name);
    if (!status) {
        throw RestError(404, "Unknown connector: " + name);
    }
    if (only_failed) {
        bool any_failed = status->state == "FAILED";
        for (const auto& t : status->tasks) {
            any_failed = any_failed || (include_tasks && t.state == "FAILED");
        }
        if (!any_failed) {
            return;
        }
    }
    write_config(
        kRestartPrefix + name,
        nlohmann::json{{"include-tasks", include_tasks}, {"only-failed", only_failed}}.dump());
}

void Herder::restart_task(const std::string& name, int task) {
    const auto status = connector_status(name);
    if (!status) {
        throw RestError(404, "Unknown connector: " + name);
    }
    const bool known = std::any_of(status->tasks.begin(), status->tasks.end(),
                                   [&](const TaskStatus& t) { return t.id == task; });
    if (!known) {
        throw RestError(404, "Unknown task: " + name + "-" + std::to_string(task));
    }
    write_config(kTaskRestartPrefix + name, nlohmann::json{{"task", task}}.dump());
}

std::vector<SourceOffset> Herder::offsets(const std::string& name) {
    sync_config();
    const auto entries = snapshot();
    auto it = entries.find(name);
    if (it == entries.end()) {
        throw RestError(404, connector_not_found(name));
    }
    auto plugin = find_plugin(it->second.config.count("connector.class")
                                  ? it->second.config.at("connector.class")
                                  : std::string());
    if (!plugin || plugin->kind != ConnectorKind::source) {
        return {}; // checkpoint and heartbeat connectors keep no source offsets in kmirror
    }
    // MM2's source offset of a partition is the last replicated source offset; kmirror's
    // progress group on the target holds the next one, keyed by the target partition (ADR 0003).
    auto props = to_properties(it->second.config);
    props.set("name", name);
    if (!props.contains("kmirror.progress.group.id")) {
        props.set("kmirror.progress.group.id", progress_group_name(config_.group_id, name));
    }
    auto settings = config::parse_mirror_source(props);
    auto policy = mirror::make_replication_policy(props);
    if (!settings || !policy) {
        return {};
    }
    std::vector<std::string> notes;
    auto spec = mirror::build_client_spec({settings->target_alias,
                                           "offsets-admin",
                                           settings->target_admin,
                                           kafka::ClientRole::admin,
                                           {},
                                           {}},
                                          notes);
    if (!spec) {
        throw RestError(500, spec.error().message);
    }
    auto admin = kafka::Admin::create(*spec);
    if (!admin) {
        throw RestError(500, admin.error().message);
    }
    auto topics = admin->list_topics(10s);
    if (!topics) {
        throw RestError(500, "target cluster: " + topics.error().message);
    }
    std::vector<kafka::TopicPartitionKey> partitions;
    std::map<std::string, std::string> source_of;
    for (const auto& [topic, info] : *topics) {
        const auto upstream = (*policy)->upstream_topic(topic).value_or(topic);
        if (strings::starts_with(topic, "__") ||
            (*policy)->format_remote_topic(settings->source_alias, upstream) != topic) {
            continue;
        }
        source_of[topic] = upstream;
        for (int p = 0; p < info.partitions; ++p) {
            partitions.emplace_back(topic, p);
        }
    }
    std::vector<SourceOffset> out;
    if (partitions.empty()) {
        return out;
    }
    auto committed = admin->list_consumer_group_offsets(settings->progress_group, 10s, &partitions);
    if (!committed) {
        throw RestError(500, "target cluster: " + committed.error().message);
    }
    for (const auto& [tp, c] : *committed) {
        if (c.offset > 0) {
            out.push_back(
                SourceOffset{settings->source_alias, source_of[tp.first], tp.second, c.offset - 1});
        }
    }
    return out;
}

} // namespace kmirror::connect
