#include "config/values.h"

#include "util/strings.h"

namespace kmirror::config {

Status get_bool(const Properties& p, const std::string& key, bool& out) {
    if (const auto* v = p.find(key)) {
        if (!strings::parse_bool(*v, out)) {
            return make_error("config '" + key + "': expected true or false, got '" + *v + "'");
        }
    }
    return {};
}

Status get_int(const Properties& p, const std::string& key, int64_t& out, int64_t min,
               int64_t max) {
    if (const auto* v = p.find(key)) {
        long long parsed = 0;
        if (!strings::parse_int64(*v, parsed) || parsed < min || parsed > max) {
            return make_error("config '" + key + "': expected an integer between " +
                              std::to_string(min) + " and " + std::to_string(max) + ", got '" + *v +
                              "'");
        }
        out = parsed;
    }
    return {};
}

Status get_seconds(const Properties& p, const std::string& key, std::chrono::seconds& out,
                   int64_t min) {
    int64_t v = out.count();
    if (auto s = get_int(p, key, v, min, 365LL * 24 * 3600); !s) {
        return s;
    }
    out = std::chrono::seconds(v);
    return {};
}

} // namespace kmirror::config
