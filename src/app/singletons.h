// Dedicated mode: the checkpoint and heartbeat work of one flow (MirrorCheckpointConnector,
// MirrorHeartbeatConnector and the reverse pair's heartbeats), built from the connector configs
// build_dedicated_config derived.
#pragma once

#include "config/mm2_config.h"
#include "mirror/flow_singletons.h"
#include "util/result.h"

#include <memory>

namespace kmirror::app {

// nullptr when the flow has nothing of the kind to run. Notes are logged here.
Result<std::unique_ptr<mirror::FlowSingletons>>
make_flow_singletons(const config::FlowConnectorConfig& flow);

} // namespace kmirror::app
