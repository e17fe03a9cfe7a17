#include "app/observability.h"

#include "metrics/exposition.h"
#include "util/strings.h"

#include <nlohmann/json.hpp>

namespace kmirror::app {
namespace {

constexpr const char* kListenerKey = "kmirror.metrics.listener";

http::Response json_response(int status, const std::string& state, const std::string& message) {
    nlohmann::ordered_json body{{"status", state}, {"message", message}}; // Connect's order
    return http::Response{status, "application/json", body.dump(), {}};
}

} // namespace

Result<std::optional<http::Listener>> metrics_listener(const Properties& mm2,
                                                       std::optional<int> port_flag) {
    if (port_flag) {
        if (*port_flag < 0 || *port_flag > 65535) {
            return make_error("--metrics-port expects a port number between 0 and 65535");
        }
        return std::optional<http::Listener>(http::Listener{"0.0.0.0", *port_flag});
    }
    const auto* value = mm2.find(kListenerKey);
    if (value == nullptr || strings::trim(*value).empty()) {
        return std::optional<http::Listener>();
    }
    auto listener = http::parse_listener(strings::trim(*value));
    if (!listener) {
        return make_error(std::string("config '") + kListenerKey +
                          "': " + listener.error().message);
    }
    return std::optional<http::Listener>(std::move(listener).value());
}

ObservabilityServer::ObservabilityServer(metrics::Registry& registry)
    : registry_(registry), server_(http::ServerOptions{2, 10, "metrics endpoint"}) {}

ObservabilityServer::~ObservabilityServer() {
    server_.stop();
}

Result<std::unique_ptr<ObservabilityServer>>
ObservabilityServer::start(const http::Listener& listener, metrics::Registry& registry) {
    std::unique_ptr<ObservabilityServer> s(new ObservabilityServer(registry));
    auto* self = s.get();
    s->server_.get("/metrics", [self](const http::Request&) {
        return http::Response{
            200, metrics::kExpositionContentType, self->registry_.exposition(), {}};
    });
    s->server_.get("/health", [self](const http::Request&) { return self->health(); });
    if (auto started = s->server_.start(listener); !started) {
        return started.error();
    }
    return s;
}

void ObservabilityServer::set_running(const std::vector<std::unique_ptr<mirror::Flow>>& flows) {
    std::lock_guard lock(mutex_);
    phase_ = Phase::running;
    flows_.clear();
    for (const auto& f : flows) {
        flows_.emplace_back(f->name(), f->stats());
    }
    // Worker-level Connect series, as the seed's exporter rules name them.
    auto stats = flows_;
    series_.clear();
    series_.push_back(registry_.callback("kafka_connect_worker_connector_count",
                                         "Kafka Connect JMX metric worker", {},
                                         [n = stats.size()] { return static_cast<double>(n); }));
    series_.push_back(registry_.callback(
        "kafka_connect_worker_task_count", "Kafka Connect JMX metric worker", {}, [stats] {
            double running = 0;
            for (const auto& [name, s] : stats) {
                running += s->task_state.load() == mirror::TaskState::running ? 1 : 0;
            }
            return running;
        }));
}

void ObservabilityServer::set_stopping() {
    std::lock_guard lock(mutex_);
    phase_ = Phase::stopping;
}

http::Response ObservabilityServer::health() const {
    std::lock_guard lock(mutex_);
    switch (phase_) {
    case Phase::starting:
        return json_response(503, "starting", "Worker is still starting up.");
    case Phase::stopping:
        return json_response(503, "unhealthy", "Worker is shutting down.");
    case Phase::running:
        break;
    }
    std::vector<std::string> failed;
    for (const auto& [name, s] : flows_) {
        if (s->task_state.load() == mirror::TaskState::failed) {
            failed.push_back(name);
        }
    }
    if (!failed.empty()) {
        return json_response(503, "unhealthy",
                             "Replication task failed for flow(s) " + strings::join(failed, ", ") +
                                 "; it is restarted automatically (see the log).");
    }
    return json_response(200, "healthy",
                         "Worker has completed startup and is ready to handle requests.");
}

} // namespace kmirror::app
