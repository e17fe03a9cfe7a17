#include "app/run_command.h"

#include "app/observability.h"
#include "app/singletons.h"
#include "config/connector_config.h"
#include "config/mm2_config.h"
#include "config/remote_file.h"
#include "mirror/flow.h"
#include "util/log.h"
#include "util/properties.h"
#include "util/strings.h"

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

namespace kmirror::app {
namespace {

int config_error(const std::string& message) {
    log::error("configuration error: " + message);
    return 2;
}

} // namespace

int run_command(const std::vector<std::string>& args) {
    std::string file;
    std::vector<std::string> only_targets;
    std::optional<int> metrics_port;
    for (size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "--clusters") {
            while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
                only_targets.push_back(args[++i]);
            }
        } else if (a == "--log-level" && i + 1 < args.size()) {
            log::Level level{};
            if (!log::parse_level(args[++i], level)) {
                std::fprintf(stderr,
                             "kmirror run: --log-level expects debug, info, warn or error\n");
                return 2;
            }
            log::set_level(level);
        } else if (a == "--metrics-port" && i + 1 < args.size()) {
            long long port = -1;
            if (!strings::parse_int64(args[++i], port) || port < 0 || port > 65535) {
                std::fputs("kmirror run: --metrics-port expects a port number\n", stderr);
                return 2;
            }
            metrics_port = static_cast<int>(port);
        } else if (a.rfind("--", 0) == 0) {
            std::fprintf(stderr, "kmirror run: unknown option '%s'\n", a.c_str());
            return 2;
        } else if (file.empty()) {
            file = a;
        } else {
            std::fprintf(stderr, "kmirror run: unexpected argument '%s'\n", a.c_str());
            return 2;
        }
    }
    if (file.empty()) {
        std::fputs("kmirror run: missing the mm2.properties file argument\n", stderr);
        return 2;
    }
    // A path or s3:// URI; ${ENV} references resolved; s3:// key material fetched into private
    // temporary files that are removed at exit.
    config::S3Fetcher s3;
    auto props = config::load_properties(file, config::process_environment(), s3,
                                         config::TempFiles::process());
    if (!props) {
        return config_error(props.error().message);
    }
    auto dedicated = config::build_dedicated_config(*props, only_targets);
    if (!dedicated) {
        return config_error(dedicated.error().message);
    }
    for (const auto& w : dedicated->warnings) {
        log::warn(w);
    }
    auto listener = metrics_listener(*props, metrics_port);
    if (!listener) {
        return config_error(listener.error().message);
    }

    std::vector<std::unique_ptr<mirror::Flow>> flows;
    std::vector<std::unique_ptr<mirror::FlowSingletons>> singletons;
    for (const auto& fc : dedicated->flows) {
        auto settings = config::parse_mirror_source(fc.connector);
        if (!settings) {
            return config_error("flow " + fc.source + "->" + fc.target + ": " +
                                settings.error().message);
        }
        auto flow = mirror::Flow::create(*settings);
        if (!flow) {
            return config_error("flow " + fc.source + "->" + fc.target + ": " +
                                flow.error().message);
        }
        for (const auto& note : (*flow)->notes()) {
            log::warn(note);
        }
        flows.push_back(std::move(flow).value());
        auto singles = make_flow_singletons(fc); // checkpoints and heartbeats (one leader)
        if (!singles) {
            return config_error("flow " + fc.source + "->" + fc.target + ": " +
                                singles.error().message);
        }
        if (*singles) {
            singletons.push_back(std::move(singles).value());
        }
    }

    // Signals are taken synchronously by this thread; every other thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::unique_ptr<ObservabilityServer> observability; // /metrics and /health (after the mask)
    if (*listener) {
        auto server = ObservabilityServer::start(**listener, metrics::default_registry());
        if (!server) {
            log::error(server.error().message);
            return 1;
        }
        observability = std::move(server).value();
    }
    for (auto& flow : flows) {
        if (auto s = flow->start(); !s) {
            log::error(s.error().message);
            for (auto& f : flows) {
                f->stop();
            }
            return 1;
        }
        log::info("flow " + flow->name() + ": replicating");
    }
    for (auto& single : singletons) {
        if (auto s = single->start(); !s) {
            log::error("flow " + single->name() + ": " + s.error().message);
            for (auto& x : singletons) {
                x->stop();
            }
            for (auto& f : flows) {
                f->stop();
            }
            return 1;
        }
    }
    if (observability) {
        observability->set_running(flows);
    }
    int sig = 0;
    sigwait(&signals, &sig);
    log::info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
              ": stopping (flush, commit progress, leave group)");
    if (observability) {
        observability->set_stopping();
    }
    for (auto& single : singletons) {
        single->stop();
    }
    for (auto& flow : flows) {
        flow->stop();
    }
    log::info("stopped cleanly");
    return 0;
}

} // namespace kmirror::app
