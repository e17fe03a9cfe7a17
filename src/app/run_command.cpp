#include "app/run_command.h"

#include "config/connector_config.h"
#include "config/mm2_config.h"
#include "mirror/flow.h"
#include "util/log.h"
#include "util/properties.h"

#include <csignal>
#include <cstdio>
#include <memory>

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
    auto props = Properties::load_file(file);
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

    std::vector<std::unique_ptr<mirror::Flow>> flows;
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
    }

    // Signals are taken synchronously by this thread; every other thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

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
    int sig = 0;
    sigwait(&signals, &sig);
    log::info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
              ": stopping (flush, commit progress, leave group)");
    for (auto& flow : flows) {
        flow->stop();
    }
    log::info("stopped cleanly");
    return 0;
}

} // namespace kmirror::app
