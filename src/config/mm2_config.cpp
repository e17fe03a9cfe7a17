#include "config/mm2_config.h"

#include "config/connector_config.h"
#include "util/strings.h"

#include <algorithm>
#include <set>

namespace kmirror::config {
namespace {

const char* const kSourceConnectorClass = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
const char* const kCheckpointConnectorClass =
    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector";
const char* const kHeartbeatConnectorClass =
    "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector";

bool has_any_prefix(const std::string& key, std::initializer_list<const char*> prefixes) {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const char* p) { return strings::starts_with(key, p); });
}

// Splits "A->B.rest" into ("A", "B", "rest"); false when the key is not a flow key.
bool split_flow_key(const std::string& key, std::string& src, std::string& tgt, std::string& rest) {
    auto arrow = key.find("->");
    if (arrow == std::string::npos || arrow == 0) {
        return false;
    }
    auto dot = key.find('.', arrow + 2);
    if (dot == std::string::npos) {
        return false;
    }
    src = key.substr(0, arrow);
    tgt = key.substr(arrow + 2, dot - arrow - 2);
    rest = key.substr(dot + 1);
    return !tgt.empty();
}

bool is_top_level_known(const std::string& key) {
    return key == "clusters" || is_known_connector_key(key) || is_mm2_client_config_name(key) ||
           has_any_prefix(key,
                          {"config.providers", "replication.policy", "offset.storage",
                           "config.storage", "status.storage", "key.converter", "value.converter",
                           "header.converter", "task", "worker", "dedicated.mode.", "listeners",
                           "rest.", "access.control.", "response.http.headers", "ssl.client.auth",
                           "consumer.", "producer.", "admin."});
}

bool flow_enabled(const Properties& mm2, const std::string& flow) {
    bool enabled = false;
    if (const auto* v = mm2.find(flow + ".enabled")) {
        (void)strings::parse_bool(*v, enabled);
    }
    return enabled;
}

// MirrorMakerConfig.connectorBaseConfig(sourceAndTarget, connectorClass).
Properties connector_base_config(const Properties& mm2, const std::string& s, const std::string& t,
                                 const std::string& connector_class) {
    Properties connector;
    for (const auto& key : mm2.keys()) {
        if (is_known_connector_key(key) || is_mm2_client_config_name(key) ||
            has_any_prefix(key, {"config.providers", "replication.policy"})) {
            connector.set(key, mm2.get(key));
        }
    }
    for (const auto& [alias, side] :
         {std::pair{s, std::string("source")}, std::pair{t, std::string("target")}}) {
        Properties cp = cluster_props(mm2, alias);
        for (const auto& key : cp.keys()) {
            if (has_any_prefix(key, {"consumer", "producer", "admin"})) {
                connector.set(side + "." + key, cp.get(key));
            } else {
                connector.set(side + ".cluster." + key, cp.get(key));
            }
        }
    }
    auto set_if_absent = [&](const std::string& k, const std::string& v) {
        if (!connector.contains(k)) {
            connector.set(k, v);
        }
    };
    set_if_absent("name", connector_class.substr(connector_class.rfind('.') + 1));
    set_if_absent("connector.class", connector_class);
    set_if_absent("source.cluster.alias", s);
    set_if_absent("target.cluster.alias", t);
    Properties overlay = mm2.with_prefix_stripped(s + "->" + t + ".");
    for (const auto& key : overlay.keys()) {
        connector.set(key, overlay.get(key));
    }
    set_if_absent("enabled", "false");
    return connector;
}

} // namespace

Properties cluster_props(const Properties& mm2, const std::string& alias) {
    Properties props = mm2.with_prefix_stripped(alias + ".");
    const auto own_keys = props.keys();
    auto add_if_absent = [&](const std::string& k, const std::string& v) {
        if (!props.contains(k)) {
            props.set(k, v);
        }
    };
    for (const auto& key : own_keys) {
        if (is_mm2_client_config_name(key)) {
            for (const char* role : {"producer.", "consumer.", "admin."}) {
                add_if_absent(role + key, props.get(key));
            }
        }
    }
    for (const auto& key : mm2.keys()) {
        if (is_mm2_client_config_name(key)) {
            for (const char* role : {"producer.", "consumer.", "admin."}) {
                add_if_absent(role + key, mm2.get(key));
            }
            add_if_absent(key, mm2.get(key));
        }
    }
    return props;
}

Result<DedicatedConfig> build_dedicated_config(const Properties& mm2,
                                               const std::vector<std::string>& only_targets) {
    DedicatedConfig out;
    out.clusters = strings::split_list(mm2.get("clusters"));
    if (out.clusters.empty()) {
        return make_error("config 'clusters' is required: a comma-separated list of cluster "
                          "aliases, e.g. clusters = source, target");
    }
    const std::set<std::string> aliases(out.clusters.begin(), out.clusters.end());
    for (const auto& t : only_targets) {
        if (aliases.count(t) == 0) {
            return make_error("--clusters names '" + t + "', which is not in 'clusters' (" +
                              strings::join(out.clusters, ", ") + ")");
        }
    }

    // Validate flow keys and report unknown top-level keys once.
    for (const auto& key : mm2.keys()) {
        std::string src;
        std::string tgt;
        std::string rest;
        if (split_flow_key(key, src, tgt, rest)) {
            for (const auto& a : {src, tgt}) {
                if (aliases.count(a) == 0) {
                    return make_error("config '" + key + "': flow '" + src + "->" + tgt +
                                      "' names cluster '" + a + "', which is not in 'clusters' (" +
                                      strings::join(out.clusters, ", ") + ")");
                }
            }
            continue;
        }
        auto dot = key.find('.');
        if (dot != std::string::npos && aliases.count(key.substr(0, dot)) != 0) {
            continue;
        }
        if (!is_top_level_known(key)) {
            out.warnings.push_back("config '" + key +
                                   "' is not an MM2 setting kmirror knows; it is ignored");
        }
    }

    for (const auto& s : out.clusters) {
        for (const auto& t : out.clusters) {
            if (s == t) {
                continue;
            }
            const std::string flow = s + "->" + t;
            bool enabled = false;
            if (const auto* v = mm2.find(flow + ".enabled")) {
                if (!strings::parse_bool(*v, enabled)) {
                    return make_error("config '" + flow +
                                      ".enabled': expected true or false, got '" + *v + "'");
                }
            }
            if (!enabled) {
                continue;
            }
            if (!only_targets.empty() &&
                std::find(only_targets.begin(), only_targets.end(), t) == only_targets.end()) {
                continue;
            }
            for (const auto& alias : {s, t}) {
                if (mm2.get(alias + ".bootstrap.servers").empty() &&
                    mm2.get("bootstrap.servers").empty()) {
                    return make_error("config '" + alias +
                                      ".bootstrap.servers' is required: cluster '" + alias +
                                      "' is used by flow " + flow);
                }
            }
            FlowConnectorConfig fc{s,
                                   t,
                                   connector_base_config(mm2, s, t, kSourceConnectorClass),
                                   connector_base_config(mm2, s, t, kCheckpointConnectorClass),
                                   connector_base_config(mm2, s, t, kHeartbeatConnectorClass),
                                   std::nullopt};
            if (!flow_enabled(mm2, t + "->" + s) &&
                (only_targets.empty() ||
                 std::find(only_targets.begin(), only_targets.end(), s) != only_targets.end())) {
                fc.reverse_heartbeat = connector_base_config(mm2, t, s, kHeartbeatConnectorClass);
            }
            out.flows.push_back(std::move(fc));
        }
    }
    if (out.flows.empty()) {
        return make_error("No source->target replication flows: enable one with "
                          "'<source>-><target>.enabled = true'");
    }
    return out;
}

} // namespace kmirror::config
