// ConnectorRunner: this worker's share of one connector. MirrorSourceConnector -> a mirror::Flow
// (partitions are split among all workers running it by its group on the target);
// MirrorCheckpointConnector / MirrorHeartbeatConnector -> the checkpoint / heartbeat task behind
// a LeaderElector group on the target, so only one worker of the cluster does the work.
// Threads: created, started and stopped by the herder thread; report() from any thread.
#pragma once

#include "connect/cluster_status.h"
#include "connect/connector_plugins.h"
#include "mirror/checkpoint_task.h"
#include "mirror/flow.h"
#include "mirror/heartbeat_task.h"
#include "mirror/leader_elector.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kmirror::connect {

// The default progress group of a source connector run by a worker (unless the connector sets
// kmirror.progress.group.id): scoped by the worker group.id, as Connect scopes source offsets.
std::string progress_group_name(const std::string& worker_group, const std::string& connector);

class ConnectorRunner {
public:
    // `worker_group`: the worker's group.id, scoping kmirror's own groups on the target.
    static Result<std::unique_ptr<ConnectorRunner>>
    create(const std::string& name, const ConnectorConfig& config, const std::string& worker_group);
    ~ConnectorRunner();
    ConnectorRunner(const ConnectorRunner&) = delete;
    ConnectorRunner& operator=(const ConnectorRunner&) = delete;

    Status start(); // may block while the clusters are reached
    void stop() noexcept;
    LocalTaskReport report() const;
    const std::vector<std::string>& notes() const { return notes_; }

private:
    ConnectorRunner() = default;

    ConnectorKind kind_ = ConnectorKind::source;
    std::vector<std::string> notes_;
    std::unique_ptr<mirror::Flow> flow_;
    std::unique_ptr<mirror::LeaderElector> elector_;
    std::unique_ptr<mirror::CheckpointTask> checkpoints_;
    std::unique_ptr<mirror::HeartbeatTask> heartbeats_;
    mutable std::mutex mutex_;
    std::string failure_; // start() error, guarded by mutex_
    bool stopped_ = false;
};

} // namespace kmirror::connect
