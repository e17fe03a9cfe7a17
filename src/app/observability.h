// Dedicated mode's operational HTTP endpoints: GET /metrics (Prometheus text format, the
// process-wide metrics::default_registry()) and GET /health (Kafka Connect's health shape,
// KIP-1017), on the listener of `kmirror.metrics.listener` or `--metrics-port`.
//
// Threads: created, marked running/stopping and destroyed by run_command's thread; requests
// are served by the HTTP server's own bounded pool.
#pragma once

#include "http/http_server.h"
#include "metrics/registry.h"
#include "mirror/flow.h"
#include "util/properties.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kmirror::app {

// The listener to serve on: `--metrics-port N` (when given) wins over the mm2.properties key
// kmirror.metrics.listener; nullopt when neither is set (endpoints off).
Result<std::optional<http::Listener>> metrics_listener(const Properties& mm2,
                                                       std::optional<int> port_flag);

class ObservabilityServer {
public:
    static Result<std::unique_ptr<ObservabilityServer>> start(const http::Listener& listener,
                                                              metrics::Registry& registry);
    ~ObservabilityServer();

    // Startup completed: /health turns healthy while no flow's task has failed; the worker
    // series (kafka_connect_worker_*) count these flows.
    void set_running(const std::vector<std::unique_ptr<mirror::Flow>>& flows);
    void set_stopping();
    int port() const { return server_.port(); }

private:
    explicit ObservabilityServer(metrics::Registry& registry);
    http::Response health() const;

    enum class Phase { starting, running, stopping };
    metrics::Registry& registry_;
    http::HttpServer server_;
    mutable std::mutex mutex_;
    Phase phase_ = Phase::starting;
    std::vector<std::pair<std::string, std::shared_ptr<mirror::SourceTaskStats>>> flows_;
    std::vector<std::shared_ptr<void>> series_;
};

} // namespace kmirror::app
