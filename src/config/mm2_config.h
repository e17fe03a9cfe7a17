// Dedicated mode: turns an mm2.properties file (connect-mirror-maker.sh format) into the
// MirrorSourceConnector, MirrorCheckpointConnector and MirrorHeartbeatConnector configurations
// of every enabled flow, following MirrorMakerConfig's rules
// (mm2.md §2.5), so that dedicated mode and the REST worker feed the same engine.
#pragma once

#include "util/properties.h"
#include "util/result.h"

#include <optional>
#include <string>
#include <vector>

namespace kmirror::config {

struct FlowConnectorConfig {
    std::string source;
    std::string target;
    Properties connector;  // what MM2 would hand its MirrorSourceConnector
    Properties checkpoint; // ... its MirrorCheckpointConnector
    Properties heartbeat;  // ... its MirrorHeartbeatConnector (heartbeats on `target`)
    // MM2 also runs the heartbeat connector of the reverse pair target->source, which writes
    // heartbeats to `source` (that is how `<source>.heartbeats` appears on the target). Set when
    // target->source is not an enabled flow itself (that flow carries it then).
    std::optional<Properties> reverse_heartbeat;
};

struct DedicatedConfig {
    std::vector<std::string> clusters;
    std::vector<FlowConnectorConfig> flows; // enabled flows only
    std::vector<std::string> warnings;      // unknown keys and the like, reported once at start
};

// `only_targets` mirrors `--clusters`: keep flows whose target is listed (all when empty).
Result<DedicatedConfig> build_dedicated_config(const Properties& mm2,
                                               const std::vector<std::string>& only_targets = {});

// MirrorMakerConfig.clusterProps(alias).
Properties cluster_props(const Properties& mm2, const std::string& alias);

} // namespace kmirror::config
