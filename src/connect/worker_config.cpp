#include "connect/worker_config.h"

#include "http/http_server.h"
#include "kafka/client_config.h"
#include "util/strings.h"

#include <set>

namespace kmirror::connect {
namespace {

Result<int> int_key(const Properties& p, const std::string& key, int fallback, int min, int max) {
    const auto* v = p.find(key);
    if (v == nullptr) {
        return fallback;
    }
    long long n = 0;
    if (!strings::parse_int64(strings::trim(*v), n) || n < min || n > max) {
        return make_error("worker config '" + key + "': expected an integer between " +
                          std::to_string(min) + " and " + std::to_string(max) + ", got '" + *v +
                          "'");
    }
    return static_cast<int>(n);
}

std::string required(const Properties& p, const std::string& key, std::string& missing) {
    auto v = std::string(strings::trim(p.get(key)));
    if (v.empty() && missing.empty()) {
        missing = key;
    }
    return v;
}

// Keys of Connect's worker config that have no meaning for kmirror.
bool is_java_only(const std::string& key) {
    static const std::set<std::string> exact = {"key.converter",
                                                "value.converter",
                                                "header.converter",
                                                "plugin.path",
                                                "offset.flush.interval.ms",
                                                "offset.flush.timeout.ms",
                                                "connector.client.config.override.policy",
                                                "offset.storage.partitions",
                                                "status.storage.partitions",
                                                "task.shutdown.graceful.timeout.ms",
                                                "internal.key.converter",
                                                "internal.value.converter",
                                                "rest.extension.classes",
                                                "config.providers",
                                                "scheduled.rebalance.max.delay.ms",
                                                "connect.protocol",
                                                "session.timeout.ms",
                                                "heartbeat.interval.ms",
                                                "rebalance.timeout.ms",
                                                "worker.sync.timeout.ms",
                                                "worker.unsync.backoff.ms",
                                                "metric.reporters",
                                                "topic.creation.enable",
                                                "exactly.once.source.support",
                                                "client.id",
                                                "access.control.allow.origin",
                                                "access.control.allow.methods",
                                                "admin.listeners",
                                                "inter.worker.key.generation.algorithm",
                                                "response.http.headers.config"};
    return exact.count(key) != 0 || strings::starts_with(key, "key.converter.") ||
           strings::starts_with(key, "value.converter.") ||
           strings::starts_with(key, "header.converter.") ||
           strings::starts_with(key, "config.providers.") || strings::starts_with(key, "jmx") ||
           strings::starts_with(key, "KAFKA_") || strings::starts_with(key, "javaagent");
}

} // namespace

Result<WorkerConfig> parse_worker_config(const Properties& props) {
    WorkerConfig w;
    std::string missing;
    w.bootstrap_servers = required(props, "bootstrap.servers", missing);
    w.group_id = required(props, "group.id", missing);
    w.config_topic = required(props, "config.storage.topic", missing);
    w.status_topic = required(props, "status.storage.topic", missing);
    w.offset_topic = required(props, "offset.storage.topic", missing);
    if (!missing.empty()) {
        return make_error("worker config '" + missing +
                          "' is required (see connect-distributed.properties)");
    }
    for (auto [key, target] :
         {std::pair{"config.storage.replication.factor", &w.config_replication_factor},
          std::pair{"status.storage.replication.factor", &w.status_replication_factor},
          std::pair{"offset.storage.replication.factor", &w.offset_replication_factor}}) {
        auto rf = int_key(props, key, 3, -1, 32767);
        if (!rf) {
            return rf.error();
        }
        if (*rf == 0) {
            return make_error(std::string("worker config '") + key +
                              "': expected -1 (broker default) or a positive number");
        }
        *target = *rf;
    }

    // REST listener: `listeners` (first http:// entry) wins over rest.host.name / rest.port.
    if (const auto* l = props.find("listeners"); l != nullptr && !strings::trim(*l).empty()) {
        const auto first = strings::split_list(*l).at(0);
        auto listener = http::parse_listener(first);
        if (!listener) {
            return make_error("worker config 'listeners': " + listener.error().message);
        }
        w.listen_host = listener->host;
        w.listen_port = listener->port;
    } else {
        auto port = int_key(props, "rest.port", 8083, 0, 65535);
        if (!port) {
            return port.error();
        }
        w.listen_port = *port;
        const auto host = std::string(strings::trim(props.get("rest.host.name")));
        if (!host.empty()) {
            w.listen_host = host;
        }
    }
    w.advertised_host = std::string(strings::trim(props.get("rest.advertised.host.name")));
    auto adv_port = int_key(props, "rest.advertised.port", 0, 0, 65535);
    if (!adv_port) {
        return adv_port.error();
    }
    w.advertised_port = *adv_port;
    if (const auto* l = props.find("rest.advertised.listener");
        l != nullptr && strings::trim(*l) != "http" && !strings::trim(*l).empty()) {
        return make_error("worker config 'rest.advertised.listener': only http is supported");
    }
    auto interval = int_key(props, "kmirror.worker.status.interval.ms", 2000, 100, 600000);
    if (!interval) {
        return interval.error();
    }
    w.status_interval = std::chrono::milliseconds(*interval);
    auto liveness = int_key(props, "kmirror.worker.liveness.timeout.ms", 10000, 500, 3600000);
    if (!liveness) {
        return liveness.error();
    }
    w.liveness_timeout = std::chrono::milliseconds(*liveness);
    if (w.liveness_timeout <= w.status_interval) {
        return make_error("worker config 'kmirror.worker.liveness.timeout.ms' must be greater "
                          "than 'kmirror.worker.status.interval.ms'");
    }

    // Client settings: unprefixed client keys for every internal client, then producer./consumer.
    // overrides (Connect's rule for the worker's own producers and consumers).
    static const std::set<std::string> worker_keys = {"bootstrap.servers",
                                                      "group.id",
                                                      "config.storage.topic",
                                                      "status.storage.topic",
                                                      "offset.storage.topic",
                                                      "config.storage.replication.factor",
                                                      "status.storage.replication.factor",
                                                      "offset.storage.replication.factor",
                                                      "listeners",
                                                      "rest.port",
                                                      "rest.host.name",
                                                      "rest.advertised.host.name",
                                                      "rest.advertised.port",
                                                      "rest.advertised.listener",
                                                      "kmirror.worker.status.interval.ms",
                                                      "kmirror.worker.liveness.timeout.ms"};
    for (const auto& key : props.keys()) {
        const auto value = props.get(key);
        if (key == "bootstrap.servers") {
            w.producer.set(key, w.bootstrap_servers);
            w.consumer.set(key, w.bootstrap_servers);
            w.admin.set(key, w.bootstrap_servers);
        } else if (worker_keys.count(key) != 0) {
            continue;
        } else if (strings::starts_with(key, "producer.")) {
            w.producer.set(key.substr(9), value);
        } else if (strings::starts_with(key, "consumer.")) {
            w.consumer.set(key.substr(9), value);
        } else if (strings::starts_with(key, "admin.")) {
            w.admin.set(key.substr(6), value);
        } else if (kafka::is_client_config_name(key) ||
                   key == "sasl.client.callback.handler.class" ||
                   strings::starts_with(key, "ssl.") || strings::starts_with(key, "sasl.")) {
            if (!w.producer.contains(key)) {
                w.producer.set(key, value);
            }
            if (!w.consumer.contains(key)) {
                w.consumer.set(key, value);
            }
            w.admin.set(key, value);
        } else if (is_java_only(key)) {
            w.notes.push_back("worker config '" + key +
                              "' is a Java Connect setting with no effect in kmirror (accepted)");
        } else {
            w.notes.push_back("worker config '" + key + "' is not used by kmirror (ignored)");
        }
    }
    return w;
}

} // namespace kmirror::connect
