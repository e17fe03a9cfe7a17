#include "app/singletons.h"

#include "config/checkpoint_config.h"
#include "util/log.h"

namespace kmirror::app {

Result<std::unique_ptr<mirror::FlowSingletons>>
make_flow_singletons(const config::FlowConnectorConfig& flow) {
    auto checkpoint = config::parse_mirror_checkpoint(flow.checkpoint);
    if (!checkpoint) {
        return make_error("MirrorCheckpointConnector: " + checkpoint.error().message);
    }
    auto heartbeat = config::parse_mirror_heartbeat(flow.heartbeat);
    if (!heartbeat) {
        return make_error("MirrorHeartbeatConnector: " + heartbeat.error().message);
    }
    std::optional<config::MirrorHeartbeatSettings> reverse;
    if (flow.reverse_heartbeat) {
        auto r = config::parse_mirror_heartbeat(*flow.reverse_heartbeat);
        if (!r) {
            return make_error("MirrorHeartbeatConnector of " + flow.target + "->" + flow.source +
                              ": " + r.error().message);
        }
        reverse = std::move(r).value();
    }
    auto singletons = mirror::FlowSingletons::create(*checkpoint, *heartbeat, reverse);
    if (singletons && *singletons) {
        for (const auto& note : (*singletons)->notes()) {
            log::warn(note);
        }
    }
    return singletons;
}

} // namespace kmirror::app
