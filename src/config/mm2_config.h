// Dedicated mode: turns an mm2.properties file (connect-mirror-maker.sh format) into one
// MirrorSourceConnector configuration per enabled flow, following MirrorMakerConfig's rules
// (mm2.md §2.5), so that dedicated mode and the REST worker feed the same engine.
#pragma once

#include "util/properties.h"
#include "util/result.h"

#include <string>
#include <vector>

namespace kmirror::config {

struct FlowConnectorConfig {
    std::string source;
    std::string target;
    Properties connector; // what MM2 would hand its MirrorSourceConnector
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
