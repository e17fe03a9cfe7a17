// The cluster-wide status of a connector, aggregated from the status records every live worker
// writes (one record per worker, keyed by worker id, in status.storage.topic). Pure logic.
#pragma once

#include "connect/connector_plugins.h"
#include "connect/herder_api.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kmirror::connect {

// What one worker says about one connector it has.
struct LocalTaskReport {
    std::string state; // RUNNING, FAILED, UNASSIGNED, PAUSED
    std::string trace;
    bool leader = false;    // checkpoint/heartbeat: this worker is the elected one
    bool singleton = false; // checkpoint/heartbeat connectors have one task cluster-wide
};

struct WorkerReport {
    std::string worker_id;
    int64_t time_ms = 0; // wall clock when written
    std::map<std::string, LocalTaskReport> connectors;
};

std::string to_json(const WorkerReport& report);
std::optional<WorkerReport> worker_report_from_json(const std::string& text);

// `live` is sorted by worker id. An empty connector state means "no worker has it yet".
ConnectorStatus aggregate_status(const std::string& name, TargetState target,
                                 const std::vector<WorkerReport>& live,
                                 const std::string& fallback_worker);

// The task index a worker has for a connector (its position among the live workers reporting
// it), or -1.
int task_index(const std::string& name, const std::vector<WorkerReport>& live,
               const std::string& worker_id);

} // namespace kmirror::connect
