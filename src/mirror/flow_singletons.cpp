#include "mirror/flow_singletons.h"

#include "mirror/client_spec.h"

namespace kmirror::mirror {

FlowSingletons::~FlowSingletons() {
    stop();
}

Result<std::unique_ptr<FlowSingletons>>
FlowSingletons::create(const config::MirrorCheckpointSettings& checkpoint,
                       const config::MirrorHeartbeatSettings& heartbeat,
                       const std::optional<config::MirrorHeartbeatSettings>& reverse_heartbeat) {
    std::unique_ptr<FlowSingletons> out(new FlowSingletons());
    out->name_ = checkpoint.source_alias + "->" + checkpoint.target_alias;
    const bool checkpoints = checkpoint.enabled && checkpoint.emit_checkpoints_enabled;
    if (checkpoints && !checkpoint.emit_offset_syncs) {
        out->notes_.push_back("flow " + out->name_ +
                              ": no checkpoints: MirrorCheckpointConnector can't run without "
                              "offset syncs (emit.offset-syncs.enabled=false)");
    }
    std::vector<const config::MirrorHeartbeatSettings*> beats;
    if (heartbeat.emit_heartbeats_enabled) {
        beats.push_back(&heartbeat);
    }
    if (reverse_heartbeat && reverse_heartbeat->emit_heartbeats_enabled) {
        beats.push_back(&*reverse_heartbeat);
    }
    const bool run_checkpoints = checkpoints && checkpoint.emit_offset_syncs;
    if (!run_checkpoints && beats.empty()) {
        return std::unique_ptr<FlowSingletons>();
    }

    LeaderElectorOptions elector{{},
                                 {},
                                 checkpoint.source_alias,
                                 checkpoint.target_alias,
                                 checkpoint.checkpoints_replication_factor,
                                 checkpoint.admin_timeout,
                                 {}};
    const std::string id = out->name_ + "|leader|";
    auto consumer =
        build_client_spec(ClientSpecRequest{checkpoint.target_alias,
                                            "leader-group",
                                            checkpoint.target_consumer,
                                            kafka::ClientRole::consumer,
                                            {{"client.id", id + "group"},
                                             {"session.timeout.ms", "10000"},
                                             {"heartbeat.interval.ms", "1000"},
                                             {"topic.metadata.refresh.interval.ms", "10000"}},
                                            {}},
                          out->notes_);
    if (!consumer) {
        return consumer.error();
    }
    auto admin = build_client_spec(ClientSpecRequest{checkpoint.target_alias,
                                                     "leader-admin",
                                                     checkpoint.target_admin,
                                                     kafka::ClientRole::admin,
                                                     {{"client.id", id + "admin"}},
                                                     {}},
                                   out->notes_);
    if (!admin) {
        return admin.error();
    }
    elector.target_consumer = std::move(consumer).value();
    elector.target_admin = std::move(admin).value();
    out->elector_ = std::make_unique<LeaderElector>(std::move(elector));
    auto* raw_elector = out->elector_.get();
    auto is_leader = [raw_elector] { return raw_elector->is_leader(); };

    if (run_checkpoints) {
        auto task = CheckpointTask::create(checkpoint, is_leader);
        if (!task) {
            return task.error();
        }
        out->checkpoints_ = std::move(task).value();
        out->notes_.insert(out->notes_.end(), out->checkpoints_->notes().begin(),
                           out->checkpoints_->notes().end());
    }
    for (const auto* hb : beats) {
        auto task = HeartbeatTask::create(*hb, is_leader);
        if (!task) {
            return task.error();
        }
        out->notes_.insert(out->notes_.end(), (*task)->notes().begin(), (*task)->notes().end());
        out->heartbeats_.push_back(std::move(task).value());
    }
    return out;
}

Status FlowSingletons::start() {
    if (auto st = elector_->start(); !st) {
        return st;
    }
    if (checkpoints_) {
        if (auto st = checkpoints_->start(); !st) {
            return st;
        }
    }
    for (auto& hb : heartbeats_) {
        if (auto st = hb->start(); !st) {
            return st;
        }
    }
    return {};
}

void FlowSingletons::stop() noexcept {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    if (checkpoints_) {
        checkpoints_->stop();
    }
    for (auto& hb : heartbeats_) {
        hb->stop();
    }
    if (elector_) {
        elector_->stop();
    }
}

} // namespace kmirror::mirror
