// Building librdkafka client specs for the checkpoint, heartbeat and leader clients from
// Java-named settings: kmirror's defaults first, then the user's settings (translated), then
// what the role requires. Same rules as the replication clients of mirror::Flow.
// Thread rules: free function, no shared state.
#pragma once

#include "kafka/client.h"
#include "kafka/client_config.h"
#include "util/properties.h"
#include "util/result.h"

#include <string>
#include <vector>

namespace kmirror::mirror {

struct ClientSpecRequest {
    std::string cluster; // alias, for messages
    std::string role;    // e.g. "checkpoint-producer"
    const Properties& java;
    kafka::ClientRole client_role;
    kafka::Settings defaults;
    kafka::Settings forced;
};

// Validates the settings with librdkafka (errors name the cluster, role and key); settings with
// no librdkafka equivalent are appended to `notes`.
Result<kafka::ClientSpec> build_client_spec(const ClientSpecRequest& request,
                                            std::vector<std::string>& notes);

} // namespace kmirror::mirror
