#include "connect/connector_runner.h"

#include "config/checkpoint_config.h"
#include "config/connector_config.h"
#include "mirror/client_spec.h"

#include <optional>

namespace kmirror::connect {
namespace {

template <class Settings>
Result<std::unique_ptr<mirror::LeaderElector>>
make_elector(const Settings& s, int replication_factor, const std::string& group,
             std::vector<std::string>& notes) {
    const std::string id = s.source_alias + "->" + s.target_alias + "|" + s.name + "|leader|";
    auto consumer = mirror::build_client_spec({s.target_alias,
                                               "leader-group",
                                               s.target_consumer,
                                               kafka::ClientRole::consumer,
                                               {{"client.id", id + "group"},
                                                {"session.timeout.ms", "10000"},
                                                {"heartbeat.interval.ms", "1000"},
                                                {"topic.metadata.refresh.interval.ms", "10000"}},
                                               {}},
                                              notes);
    if (!consumer) {
        return consumer.error();
    }
    auto admin = mirror::build_client_spec({s.target_alias,
                                            "leader-admin",
                                            s.target_admin,
                                            kafka::ClientRole::admin,
                                            {{"client.id", id + "admin"}},
                                            {}},
                                           notes);
    if (!admin) {
        return admin.error();
    }
    mirror::LeaderElectorOptions options{
        std::move(consumer).value(), std::move(admin).value(), s.source_alias, s.target_alias,
        replication_factor,          s.admin_timeout,          group};
    return std::make_unique<mirror::LeaderElector>(std::move(options));
}

} // namespace

std::string progress_group_name(const std::string& worker_group, const std::string& connector) {
    return "kmirror-" + worker_group + "-" + connector;
}

ConnectorRunner::~ConnectorRunner() {
    stop();
}

Result<Properties> runner_properties(const std::string& name, const ConnectorConfig& config,
                                     const std::string& worker_group, config::S3Fetcher& s3,
                                     config::TempFiles& temp,
                                     const std::string& worker_offsets_topic) {
    auto props = to_properties(config);
    props.set("name", name);
    if (!props.contains("kmirror.progress.group.id")) {
        props.set("kmirror.progress.group.id", progress_group_name(worker_group, name));
    }
    if (!worker_offsets_topic.empty() && !props.contains("kmirror.mm2.offsets.topic")) {
        const auto plugin = find_plugin(props.get("connector.class", ""));
        if (plugin && plugin->kind == ConnectorKind::source) {
            props.set("kmirror.mm2.offsets.topic", worker_offsets_topic);
        }
    }
    if (auto st = config::materialize_remote_files(props, s3, temp); !st) {
        return make_error("cannot fetch key material: " + st.error().message);
    }
    return props;
}

Result<std::unique_ptr<ConnectorRunner>>
ConnectorRunner::create(const std::string& name, const ConnectorConfig& config,
                        const std::string& worker_group, config::S3Fetcher* s3,
                        const std::string& worker_offsets_topic) {
    auto plugin = find_plugin(config.count("connector.class") ? config.at("connector.class") : "");
    if (!plugin) {
        return make_error("unknown connector.class");
    }
    std::unique_ptr<ConnectorRunner> r(new ConnectorRunner());
    std::optional<config::S3Fetcher> default_s3;
    if (s3 == nullptr) {
        s3 = &default_s3.emplace();
    }
    auto fetched =
        runner_properties(name, config, worker_group, *s3, r->key_material_, worker_offsets_topic);
    if (!fetched) {
        return fetched.error(); // r and the files fetched so far are removed
    }
    const Properties props = std::move(fetched).value();
    r->kind_ = plugin->kind;
    const std::string leader_group = "kmirror-" + worker_group + "-leader-" + name;
    switch (plugin->kind) {
    case ConnectorKind::source: {
        auto s = config::parse_mirror_source(props);
        if (!s) {
            return s.error();
        }
        auto flow = mirror::Flow::create(*s);
        if (!flow) {
            return flow.error();
        }
        r->notes_ = (*flow)->notes();
        r->flow_ = std::move(flow).value();
        break;
    }
    case ConnectorKind::checkpoint: {
        auto s = config::parse_mirror_checkpoint(props);
        if (!s) {
            return s.error();
        }
        auto elector = make_elector(*s, s->checkpoints_replication_factor, leader_group, r->notes_);
        if (!elector) {
            return elector.error();
        }
        r->elector_ = std::move(elector).value();
        auto* e = r->elector_.get();
        auto task = mirror::CheckpointTask::create(*s, [e] { return e->is_leader(); });
        if (!task) {
            return task.error();
        }
        r->checkpoints_ = std::move(task).value();
        r->notes_.insert(r->notes_.end(), r->checkpoints_->notes().begin(),
                         r->checkpoints_->notes().end());
        break;
    }
    case ConnectorKind::heartbeat: {
        auto s = config::parse_mirror_heartbeat(props);
        if (!s) {
            return s.error();
        }
        auto elector = make_elector(*s, s->heartbeats_replication_factor, leader_group, r->notes_);
        if (!elector) {
            return elector.error();
        }
        r->elector_ = std::move(elector).value();
        auto* e = r->elector_.get();
        auto task = mirror::HeartbeatTask::create(*s, [e] { return e->is_leader(); });
        if (!task) {
            return task.error();
        }
        r->heartbeats_ = std::move(task).value();
        r->notes_.insert(r->notes_.end(), r->heartbeats_->notes().begin(),
                         r->heartbeats_->notes().end());
        break;
    }
    }
    return r;
}

Status ConnectorRunner::start() {
    Status st;
    if (flow_) {
        st = flow_->start();
    } else {
        st = elector_->start();
        if (st && checkpoints_) {
            st = checkpoints_->start();
        }
        if (st && heartbeats_) {
            st = heartbeats_->start();
        }
    }
    if (!st) {
        std::lock_guard lock(mutex_);
        failure_ = st.error().message;
    }
    return st;
}

void ConnectorRunner::stop() noexcept {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    if (flow_) {
        flow_->stop();
    }
    if (checkpoints_) {
        checkpoints_->stop();
    }
    if (heartbeats_) {
        heartbeats_->stop();
    }
    if (elector_) {
        elector_->stop();
    }
}

LocalTaskReport ConnectorRunner::report() const {
    LocalTaskReport r;
    r.singleton = kind_ != ConnectorKind::source;
    {
        std::lock_guard lock(mutex_);
        if (!failure_.empty()) {
            r.state = "FAILED";
            r.trace = "org.apache.kafka.connect.errors.ConnectException: " + failure_;
            return r;
        }
    }
    if (flow_) {
        switch (flow_->stats()->task_state.load()) {
        case mirror::TaskState::running:
            r.state = "RUNNING";
            break;
        case mirror::TaskState::failed:
            r.state = "FAILED";
            r.trace = "org.apache.kafka.connect.errors.ConnectException: MirrorSourceTask of " +
                      flow_->name() +
                      " failed; it is restarted automatically (see the log of "
                      "this worker)";
            break;
        case mirror::TaskState::restarting:
            r.state = "RESTARTING";
            break;
        case mirror::TaskState::unassigned:
            r.state = "UNASSIGNED";
            break;
        }
        return r;
    }
    r.state = "RUNNING";
    r.leader = elector_ && elector_->is_leader();
    return r;
}

} // namespace kmirror::connect
