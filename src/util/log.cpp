#include "util/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace kmirror::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::mutex g_mutex;

const char* name_of(Level level) {
    switch (level) {
    case Level::debug:
        return "DEBUG";
    case Level::info:
        return "INFO";
    case Level::warn:
        return "WARN";
    case Level::error:
        return "ERROR";
    }
    return "?";
}
} // namespace

void set_level(Level level) {
    g_level.store(static_cast<int>(level));
}
Level level() {
    return static_cast<Level>(g_level.load());
}

bool parse_level(std::string_view name, Level& out) {
    if (name == "debug") {
        out = Level::debug;
    } else if (name == "info") {
        out = Level::info;
    } else if (name == "warn") {
        out = Level::warn;
    } else if (name == "error") {
        out = Level::error;
    } else {
        return false;
    }
    return true;
}

void write(Level lvl, std::string_view message) {
    if (static_cast<int>(lvl) < g_level.load()) {
        return;
    }
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "%s.%03dZ %-5s %.*s\n", stamp, static_cast<int>(millis), name_of(lvl),
                 static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
}

} // namespace kmirror::log
