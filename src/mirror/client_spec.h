// Building librdkafka client specs for every client kmirror creates (replication, checkpoint,
// heartbeat, leader) from
// Java-named settings: kmirror's defaults first, then the user's settings (translated), then
// what the role requires.
// Thread rules: free function, no shared state.
#pragma once

#include "kafka/client.h"
#include "kafka/client_config.h"
#include "util/properties.h"
#include "util/result.h"

#include <string>
#include <vector>

namespace kmirror::mirror {

// A numeric librdkafka setting kept within [min, max] whatever the user asked for: the data
// path's memory bound and batching must not depend on Java-sized tuning (e.g. the seed's
// buffer.memory of 500 MB or batch.size of 52 KB).
struct Limit {
    std::string key;
    long long min;
    long long max;
    std::string why;
};

struct ClientSpecRequest {
    std::string cluster; // alias, for messages
    std::string role;    // e.g. "checkpoint-producer"
    const Properties& java;
    kafka::ClientRole client_role;
    kafka::Settings defaults;
    kafka::Settings forced;
    std::vector<Limit> limits = {};
};

// Validates the settings with librdkafka (errors name the cluster, role and key); settings with
// no librdkafka equivalent are appended to `notes`.
Result<kafka::ClientSpec> build_client_spec(const ClientSpecRequest& request,
                                            std::vector<std::string>& notes);

} // namespace kmirror::mirror
