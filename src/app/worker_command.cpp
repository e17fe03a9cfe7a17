#include "app/worker_command.h"

#include "config/remote_file.h"
#include "connect/herder.h"
#include "connect/worker_config.h"
#include "http/http_server.h"
#include "metrics/exposition.h"
#include "metrics/registry.h"
#include "rest/connect_rest.h"
#include "util/log.h"
#include "util/properties.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unistd.h>

#ifndef KMIRROR_VERSION
#define KMIRROR_VERSION "0.0.0"
#endif

namespace kmirror::app {

int worker_command(const std::vector<std::string>& args) {
    std::string file;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--log-level" && i + 1 < args.size()) {
            log::Level level{};
            if (!log::parse_level(args[++i], level)) {
                std::fputs("kmirror worker: --log-level expects debug, info, warn or error\n",
                           stderr);
                return 2;
            }
            log::set_level(level);
        } else if (args[i].rfind("--", 0) == 0 || !file.empty()) {
            std::fprintf(stderr, "kmirror worker: unexpected argument '%s'\n", args[i].c_str());
            return 2;
        } else {
            file = args[i];
        }
    }
    if (file.empty()) {
        std::fputs("kmirror worker: missing the connect-distributed.properties argument\n", stderr);
        return 2;
    }
    // A path or s3:// URI; ${ENV} references resolved; s3:// key material fetched into private
    // temporary files that are removed at exit (as `kmirror run` does).
    config::S3Fetcher s3;
    auto props = config::load_properties(file, config::process_environment(), s3,
                                         config::TempFiles::process());
    if (!props) {
        log::error("configuration error: " + props.error().message);
        return 2;
    }
    auto config = connect::parse_worker_config(*props);
    if (!config) {
        log::error("configuration error: " + config.error().message);
        return 2;
    }
    for (const auto& note : config->notes) {
        log::warn(note);
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::atomic<bool> ready{false};
    std::unique_ptr<connect::Herder> herder;
    std::unique_ptr<rest::ConnectRest> api;
    http::HttpServer server(http::ServerOptions{8, 30, "REST API"});
    server.get("/metrics", [](const http::Request&) {
        return http::Response{
            200, metrics::kExpositionContentType, metrics::default_registry().exposition(), {}};
    });
    server.get("/health", [&ready](const http::Request&) {
        const bool ok = ready.load();
        nlohmann::ordered_json body{
            {"status", ok ? "healthy" : "starting"},
            {"message", ok ? "Worker has completed startup and is ready to handle requests."
                           : "Worker is still starting up."}};
        return http::Response{ok ? 200 : 503, "application/json", body.dump(), {}};
    });
    server.any([&](const http::Request& r) {
        if (!ready.load()) {
            return http::Response{503,
                                  "application/json",
                                  R"({"error_code":503,"message":"Worker is still starting up."})",
                                  {}};
        }
        return api->handle(r);
    });
    if (auto st = server.start(http::Listener{config->listen_host, config->listen_port}); !st) {
        log::error(st.error().message);
        return 1;
    }
    std::string host = config->advertised_host;
    if (host.empty()) {
        char name[256] = {};
        host = gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
    }
    const int port = config->advertised_port != 0 ? config->advertised_port : server.port();
    const std::string worker_id = host + ":" + std::to_string(port);

    herder = std::make_unique<connect::Herder>(*config, worker_id);
    if (auto st = herder->start(); !st) {
        log::error(st.error().message);
        server.stop();
        return 1;
    }
    api = std::make_unique<rest::ConnectRest>(*herder, KMIRROR_VERSION, "kmirror");
    ready = true;
    log::info("worker " + worker_id + " (group " + config->group_id + ") started");

    int sig = 0;
    sigwait(&signals, &sig);
    log::info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
              ": stopping the worker");
    ready = false;
    server.stop();
    herder->stop();
    log::info("stopped cleanly");
    return 0;
}

} // namespace kmirror::app
