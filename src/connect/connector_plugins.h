// The connector plugins a kmirror worker runs: MM2's three connectors, named by their full
// Java class name or the short alias (Connect accepts both), and the validation of a connector
// config against them (the engine's own parsers: config/connector_config.h, checkpoint_config.h).
// Thread rules: pure functions.
#pragma once

#include "util/properties.h"
#include "util/result.h"

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kmirror::connect {

enum class ConnectorKind { source, checkpoint, heartbeat };

struct PluginInfo {
    std::string class_name; // org.apache.kafka.connect.mirror.MirrorSourceConnector
    std::string type;       // "source"
    ConnectorKind kind;
};

const std::vector<PluginInfo>& plugins();
// Full class name, simple name ("MirrorSourceConnector") or alias ("MirrorSource").
std::optional<PluginInfo> find_plugin(const std::string& name);
std::string plugin_version(); // reported as the plugins' version (the Kafka version MM2 matches)

using ConnectorConfig = std::map<std::string, std::string>;

Properties to_properties(const ConnectorConfig& config);

// A connector config from a JSON object, as Jackson reads a Map<String, String>: strings, and
// numbers and booleans as their text; nulls are left out. The errors are Connect's messages.
Result<ConnectorConfig> connector_config_from_json(const nlohmann::json& j);

struct ValidationError {
    std::string key; // the key the error is about (connector.class when none)
    std::string message;
};

// Every error in `config` for the plugin it names (an unknown or missing connector.class is an
// error too). Empty: the config can be stored and run.
std::vector<ValidationError> validate_connector_config(const ConnectorConfig& config);

} // namespace kmirror::connect
