#include "connect/cluster_status.h"

#include <nlohmann/json.hpp>

namespace kmirror::connect {

std::string to_json(const WorkerReport& report) {
    nlohmann::json j{{"worker_id", report.worker_id},
                     {"time", report.time_ms},
                     {"connectors", nlohmann::json::object()}};
    for (const auto& [name, t] : report.connectors) {
        j["connectors"][name] = {{"state", t.state},
                                 {"trace", t.trace},
                                 {"leader", t.leader},
                                 {"singleton", t.singleton}};
    }
    return j.dump();
}

std::optional<WorkerReport> worker_report_from_json(const std::string& text) {
    try {
        auto j = nlohmann::json::parse(text);
        WorkerReport r;
        r.worker_id = j.at("worker_id").get<std::string>();
        r.time_ms = j.at("time").get<int64_t>();
        for (const auto& [name, t] : j.at("connectors").items()) {
            r.connectors[name] =
                LocalTaskReport{t.at("state").get<std::string>(), t.value("trace", std::string()),
                                t.value("leader", false), t.value("singleton", false)};
        }
        return r;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

namespace {

std::vector<const WorkerReport*> reporting(const std::string& name,
                                           const std::vector<WorkerReport>& live) {
    std::vector<const WorkerReport*> out;
    for (const auto& w : live) {
        if (w.connectors.count(name) != 0) {
            out.push_back(&w);
        }
    }
    return out;
}

} // namespace

int task_index(const std::string& name, const std::vector<WorkerReport>& live,
               const std::string& worker_id) {
    const auto workers = reporting(name, live);
    for (size_t i = 0; i < workers.size(); ++i) {
        if (workers[i]->worker_id == worker_id) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

ConnectorStatus aggregate_status(const std::string& name, TargetState target,
                                 const std::vector<WorkerReport>& live,
                                 const std::string& fallback_worker) {
    ConnectorStatus s;
    s.name = name;
    const auto workers = reporting(name, live);
    s.worker_id = workers.empty() ? fallback_worker : workers.front()->worker_id;
    if (target == TargetState::stopped) {
        s.state = "STOPPED";
        return s;
    }
    if (workers.empty()) {
        s.state = target == TargetState::paused ? "PAUSED" : "UNASSIGNED";
        return s;
    }
    s.state = target == TargetState::paused ? "PAUSED" : "RUNNING";
    const bool singleton = workers.front()->connectors.at(name).singleton;
    if (!singleton) {
        for (size_t i = 0; i < workers.size(); ++i) {
            const auto& t = workers[i]->connectors.at(name);
            s.tasks.push_back(
                TaskStatus{static_cast<int>(i), t.state, workers[i]->worker_id, t.trace});
        }
    } else {
        // One task cluster-wide: the elected worker's; before an election, a failed one's (so
        // errors show), else the first worker's.
        const WorkerReport* pick = nullptr;
        for (const auto* w : workers) {
            if (w->connectors.at(name).leader) {
                pick = w;
                break;
            }
        }
        for (const auto* w : workers) {
            if (pick == nullptr && w->connectors.at(name).state == "FAILED") {
                pick = w;
            }
        }
        if (pick == nullptr) {
            pick = workers.front();
        }
        const auto& t = pick->connectors.at(name);
        std::string state = t.state;
        if (state == "RUNNING" && !t.leader) {
            state = "UNASSIGNED"; // elected nowhere yet
        }
        s.tasks.push_back(TaskStatus{0, state, pick->worker_id, t.trace});
    }
    bool all_failed = !s.tasks.empty();
    for (const auto& t : s.tasks) {
        all_failed = all_failed && t.state == "FAILED";
    }
    if (all_failed && target == TargetState::started) {
        s.state = "FAILED";
        s.trace = s.tasks.front().trace;
    }
    return s;
}

} // namespace kmirror::connect
