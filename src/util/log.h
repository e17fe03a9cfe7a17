// Minimal thread-safe logger writing one line per event to stderr.
// Callers must never pass secrets: config values go through config::redact first.
#pragma once

#include <string_view>

namespace kmirror::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view name, Level& out);

void write(Level level, std::string_view message);

inline void debug(std::string_view m) {
    write(Level::debug, m);
}
inline void info(std::string_view m) {
    write(Level::info, m);
}
inline void warn(std::string_view m) {
    write(Level::warn, m);
}
inline void error(std::string_view m) {
    write(Level::error, m);
}

} // namespace kmirror::log
