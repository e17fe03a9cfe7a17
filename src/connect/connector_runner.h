// ConnectorRunner: this worker's share of one connector. MirrorSourceConnector -> a mirror::Flow
// (partitions are split among all workers running it by its group on the target);
// MirrorCheckpointConnector / MirrorHeartbeatConnector -> the checkpoint / heartbeat task behind
// a LeaderElector group on the target, so only one worker of the cluster does the work.
// Threads: created, started and stopped by the herder thread; report() from any thread.
//
// Key material: `*.location` / `*.keytab` values of the connector config that are s3:// URIs are
// fetched when the runner is created (i.e. when this worker starts the connector, not when the
// config is PUT: the stored config keeps the URI) into private temporary files owned by the
// runner and removed with it, or at exit (config/remote_file.h, the same code `kmirror run` uses
// for mm2.properties). Connector configs are otherwise literal: no ${VAR} interpolation.
#pragma once

#include "config/remote_file.h"
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

// The properties a runner of connector `name` works with: the stored config plus `name`, the
// default kmirror.progress.group.id and, for a source connector, kmirror.mm2.offsets.topic =
// `worker_offsets_topic` (the worker's offset.storage.topic: where Kafka Connect kept MM2's
// progress when this worker replaces a Connect cluster), with s3:// key material fetched into
// `temp`. Errors name the key and the URI, never a value of the config.
Result<Properties> runner_properties(const std::string& name, const ConnectorConfig& config,
                                     const std::string& worker_group, config::S3Fetcher& s3,
                                     config::TempFiles& temp,
                                     const std::string& worker_offsets_topic = {});

class ConnectorRunner {
public:
    // `worker_group`: the worker's group.id, scoping kmirror's own groups on the target.
    // `s3`: fetches s3:// key material; null: one with the default AWS credential chain.
    // `worker_offsets_topic`: the worker's offset.storage.topic (see runner_properties).
    static Result<std::unique_ptr<ConnectorRunner>>
    create(const std::string& name, const ConnectorConfig& config, const std::string& worker_group,
           config::S3Fetcher* s3 = nullptr, const std::string& worker_offsets_topic = {});
    ~ConnectorRunner();
    ConnectorRunner(const ConnectorRunner&) = delete;
    ConnectorRunner& operator=(const ConnectorRunner&) = delete;

    Status start(); // may block while the clusters are reached
    void stop() noexcept;
    LocalTaskReport report() const;
    const std::vector<std::string>& notes() const { return notes_; }

private:
    ConnectorRunner() = default;

    // Declared first so that the files outlive the clients using them.
    config::TempFiles key_material_;
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
