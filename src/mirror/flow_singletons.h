// FlowSingletons: the work of a flow that must run once per cluster pair, not once per process
// -- MM2's MirrorCheckpointConnector and MirrorHeartbeatConnector (and the reverse pair's
// heartbeat connector, which dedicated-mode MM2 also runs). A LeaderElector on the target picks
// the one process that does it; the others stand by (checkpoint tasks keep tailing offset syncs
// so a takeover is immediate).
//
// Threads: start()/stop() from the owner's thread; stop() idempotent. Stop order: checkpoint
// and heartbeat tasks, then the elector (leaving the group hands leadership over at once).
#pragma once

#include "config/checkpoint_config.h"
#include "mirror/checkpoint_task.h"
#include "mirror/heartbeat_task.h"
#include "mirror/leader_elector.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kmirror::mirror {

class FlowSingletons {
public:
    // `reverse_heartbeat`: the heartbeat connector of target->source when that flow does not run.
    // Returns nullptr when there is nothing to run (checkpoints and heartbeats all disabled).
    static Result<std::unique_ptr<FlowSingletons>>
    create(const config::MirrorCheckpointSettings& checkpoint,
           const config::MirrorHeartbeatSettings& heartbeat,
           const std::optional<config::MirrorHeartbeatSettings>& reverse_heartbeat);
    ~FlowSingletons();
    FlowSingletons(const FlowSingletons&) = delete;
    FlowSingletons& operator=(const FlowSingletons&) = delete;

    Status start();
    void stop() noexcept;

    const std::string& name() const { return name_; }
    const std::vector<std::string>& notes() const { return notes_; }
    bool is_leader() const { return elector_ && elector_->is_leader(); }
    std::shared_ptr<CheckpointStats> checkpoint_stats() const {
        return checkpoints_ ? checkpoints_->stats() : nullptr;
    }

private:
    FlowSingletons() = default;

    std::string name_;
    std::vector<std::string> notes_;
    std::unique_ptr<LeaderElector> elector_;
    std::unique_ptr<CheckpointTask> checkpoints_;
    std::vector<std::unique_ptr<HeartbeatTask>> heartbeats_;
    bool stopped_ = false;
};

} // namespace kmirror::mirror
