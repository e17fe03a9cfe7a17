#include "connect/connector_plugins.h"

#include "config/checkpoint_config.h"
#include "config/connector_config.h"
#include "mirror/replication_policy.h"
#include "util/strings.h"

#include <nlohmann/json.hpp>

namespace kmirror::connect {

const std::vector<PluginInfo>& plugins() {
    static const std::vector<PluginInfo> all = {
        {"org.apache.kafka.connect.mirror.MirrorCheckpointConnector", "source",
         ConnectorKind::checkpoint},
        {"org.apache.kafka.connect.mirror.MirrorHeartbeatConnector", "source",
         ConnectorKind::heartbeat},
        {"org.apache.kafka.connect.mirror.MirrorSourceConnector", "source", ConnectorKind::source},
    };
    return all;
}

std::optional<PluginInfo> find_plugin(const std::string& raw) {
    const std::string name(strings::trim(raw));
    for (const auto& p : plugins()) {
        const std::string simple = p.class_name.substr(p.class_name.rfind('.') + 1);
        const std::string alias = simple.substr(0, simple.size() - std::string("Connector").size());
        if (name == p.class_name || name == simple || name == alias) {
            return p;
        }
    }
    return std::nullopt;
}

std::string plugin_version() {
    return "3.7.0";
}

Properties to_properties(const ConnectorConfig& config) {
    Properties p;
    for (const auto& [k, v] : config) {
        p.set(k, v);
    }
    return p;
}

namespace {

// The key an engine error message is about: "config 'KEY' ..." -> KEY.
std::string key_of(const std::string& message) {
    const auto open = message.find('\'');
    if (open == std::string::npos) {
        return "connector.class";
    }
    const auto close = message.find('\'', open + 1);
    return close == std::string::npos ? "connector.class"
                                      : message.substr(open + 1, close - open - 1);
}

} // namespace

std::vector<ValidationError> validate_connector_config(const ConnectorConfig& config) {
    std::vector<ValidationError> errors;
    auto cls = config.find("connector.class");
    if (cls == config.end() || strings::trim(cls->second).empty()) {
        errors.push_back({"connector.class",
                          "Missing required configuration \"connector.class\" which has no "
                          "default value."});
        return errors;
    }
    auto plugin = find_plugin(cls->second);
    if (!plugin) {
        errors.push_back(
            {"connector.class", "Failed to find any class that implements Connector and which name "
                                "matches " +
                                    cls->second +
                                    ", available connectors are: "
                                    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector, "
                                    "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector, "
                                    "org.apache.kafka.connect.mirror.MirrorSourceConnector"});
        return errors;
    }
    if (auto t = config.find("tasks.max"); t != config.end()) {
        long long n = 0;
        if (!strings::parse_int64(strings::trim(t->second), n) || n < 1) {
            errors.push_back({"tasks.max", "Invalid value " + t->second +
                                               " for configuration tasks.max: expected an "
                                               "integer of at least 1"});
        }
    }
    const auto props = to_properties(config);
    std::optional<std::string> error;
    switch (plugin->kind) {
    case ConnectorKind::source: {
        auto s = config::parse_mirror_source(props);
        if (!s) {
            error = s.error().message;
        } else if (auto policy = mirror::make_replication_policy(props); !policy) {
            error = policy.error().message;
        }
        break;
    }
    case ConnectorKind::checkpoint: {
        auto s = config::parse_mirror_checkpoint(props);
        if (!s) {
            error = s.error().message;
        } else if (auto policy = mirror::make_replication_policy(props); !policy) {
            error = policy.error().message;
        }
        break;
    }
    case ConnectorKind::heartbeat: {
        auto s = config::parse_mirror_heartbeat(props);
        if (!s) {
            error = s.error().message;
        }
        break;
    }
    }
    if (error) {
        errors.push_back({key_of(*error), *error});
    }
    return errors;
}

Result<ConnectorConfig> connector_config_from_json(const nlohmann::json& j) {
    if (!j.is_object()) {
        return make_error("Connector configuration must be a JSON object of strings");
    }
    ConnectorConfig out;
    for (const auto& [k, v] : j.items()) {
        if (v.is_string()) {
            out[k] = v.get<std::string>();
        } else if (v.is_number() || v.is_boolean()) {
            out[k] = v.dump();
        } else if (!v.is_null()) {
            return make_error("Connector configuration value of '" + k + "' must be a string");
        }
    }
    return out;
}

} // namespace kmirror::connect
