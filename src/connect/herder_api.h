// What the REST layer asks of a worker (Connect's Herder, the subset kmirror serves), and the
// shapes it answers with. Implemented by connect::Herder; unit tests of the REST layer use a fake.
// Methods may block (read-your-writes on the config topic) and throw RestError, which the REST
// layer turns into Connect's error body with that HTTP status.
#pragma once

#include "connect/connector_plugins.h"

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kmirror::connect {

class RestError : public std::runtime_error {
public:
    RestError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
    int code() const { return code_; }

private:
    int code_;
};

enum class TargetState { started, paused, stopped };

struct TaskStatus {
    int id = 0;
    std::string state; // UNASSIGNED, RUNNING, PAUSED, FAILED, RESTARTING
    std::string worker_id;
    std::string trace; // omitted when empty
};

struct ConnectorStatus {
    std::string name;
    std::string state;
    std::string worker_id;
    std::string trace;
    std::vector<TaskStatus> tasks;
    std::string type = "source";
};

struct ConnectorInfo {
    std::string name;
    ConnectorConfig config; // secrets already masked by the REST layer
    int tasks = 0;
    std::string type = "source";
};

struct SourceOffset {
    std::string cluster;
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
};

class HerderApi {
public:
    virtual ~HerderApi() = default;
    virtual std::string kafka_cluster_id() = 0;
    virtual std::vector<std::string> connector_names() = 0;
    virtual std::optional<ConnectorInfo> connector_info(const std::string& name) = 0;
    virtual std::optional<ConnectorStatus> connector_status(const std::string& name) = 0;
    // Stores the (validated) config; true when the connector was created.
    virtual bool put_connector_config(const std::string& name, const ConnectorConfig& config,
                                      std::optional<TargetState> initial_state) = 0;
    virtual void delete_connector(const std::string& name) = 0;
    virtual void set_target_state(const std::string& name, TargetState state) = 0;
    virtual void restart_connector(const std::string& name, bool include_tasks,
                                   bool only_failed) = 0;
    virtual void restart_task(const std::string& name, int task) = 0;
    virtual std::vector<SourceOffset> offsets(const std::string& name) = 0;
};

} // namespace kmirror::connect
