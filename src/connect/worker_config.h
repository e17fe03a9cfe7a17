// WorkerConfig: the typed view of a Kafka Connect worker file (connect-distributed.properties)
// as `kmirror worker` uses it: the worker's own cluster (bootstrap.servers + security, with the
// producer./consumer. prefixes Connect applies to its internal clients), the storage topics, the
// REST listener and the advertised worker id. Java-only keys (converters, plugin.path, JMX agent,
// ...) are accepted and listed in `notes` once.
// Thread rules: plain value, parsed once at start-up.
#pragma once

#include "util/properties.h"
#include "util/result.h"

#include <chrono>
#include <string>
#include <vector>

namespace kmirror::connect {

struct WorkerConfig {
    std::string bootstrap_servers;
    std::string group_id;
    std::string config_topic;
    std::string status_topic;
    std::string offset_topic;
    int config_replication_factor = 3;
    int status_replication_factor = 3;
    int offset_replication_factor = 3;

    std::string listen_host = "0.0.0.0";
    int listen_port = 8083;                            // 0: any free port
    std::string advertised_host;                       // empty: this host's name
    int advertised_port = 0;                           // 0: the bound port
    std::chrono::milliseconds status_interval{2000};   // kmirror.worker.status.interval.ms
    std::chrono::milliseconds liveness_timeout{10000}; // kmirror.worker.liveness.timeout.ms

    // Java-named client settings for the worker's own clients (storage topics).
    Properties producer;
    Properties consumer;
    Properties admin;

    std::vector<std::string> notes; // keys kmirror accepts but does not use
};

Result<WorkerConfig> parse_worker_config(const Properties& props);

} // namespace kmirror::connect
