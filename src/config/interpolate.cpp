#include "config/interpolate.h"

#include <cstdlib>

namespace kmirror::config {
namespace {

constexpr int kMaxDepth = 8; // defaults nested in defaults

bool name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}

// Index of the '}' closing the reference whose body starts at `from`, counting nested "${".
size_t closing_brace(std::string_view s, size_t from) {
    int depth = 0;
    for (size_t i = from; i < s.size(); ++i) {
        if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
            ++depth;
            ++i;
        } else if (s[i] == '}') {
            if (depth == 0) {
                return i;
            }
            --depth;
        }
    }
    return std::string_view::npos;
}

std::string where(std::string_view key) {
    return key.empty() ? std::string() : " (in '" + std::string(key) + "')";
}

Result<std::string> expand(std::string_view value, const EnvLookup& env, std::string_view key,
                           int depth) {
    if (depth > kMaxDepth) {
        return make_error("environment references nested too deeply" + where(key));
    }
    std::string out;
    out.reserve(value.size());
    size_t i = 0;
    while (i < value.size()) {
        const char c = value[i];
        if (c != '$') {
            out.push_back(c);
            ++i;
            continue;
        }
        if (value.substr(i, 3) == "$${") { // escaped: a literal "${"
            out += "${";
            i += 3;
            continue;
        }
        if (value.substr(i, 2) != "${") {
            out.push_back(c);
            ++i;
            continue;
        }
        const size_t body = i + 2;
        size_t n = body;
        if (n < value.size() && name_start(value[n])) {
            ++n;
            while (n < value.size() && name_char(value[n])) {
                ++n;
            }
        }
        const std::string name(value.substr(body, n - body));
        const bool plain = !name.empty() && n < value.size() && value[n] == '}';
        const bool with_default = !name.empty() && value.substr(n, 2) == ":-";
        if (!plain && !with_default) { // not ours (e.g. ${file:/path:key}): keep as written
            out += "${";
            i = body;
            continue;
        }
        size_t end = n;
        if (with_default) {
            end = closing_brace(value, n + 2);
            if (end == std::string_view::npos) {
                return make_error("unterminated '${" + name + ":-' reference" + where(key));
            }
        }
        auto v = env(name);
        if (v && !(with_default && v->empty())) {
            out += *v;
        } else if (with_default) {
            auto d = expand(value.substr(n + 2, end - (n + 2)), env, key, depth + 1);
            if (!d) {
                return d;
            }
            out += *d;
        } else {
            return make_error("environment variable '" + name + "' is not set" + where(key) +
                              "; set it or write ${" + name + ":-default}");
        }
        i = end + 1;
    }
    return out;
}

} // namespace

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) {
            return std::nullopt;
        }
        return std::string(v);
    };
}

Result<std::string> interpolate_value(std::string_view value, const EnvLookup& env,
                                      std::string_view key) {
    return expand(value, env, key, 0);
}

Result<Properties> interpolate(const Properties& props, const EnvLookup& env) {
    Properties out;
    for (const auto& key : props.keys()) {
        const std::string* value = props.find(key);
        if (value == nullptr) {
            continue;
        }
        auto v = interpolate_value(*value, env, key);
        if (!v) {
            return v.error();
        }
        out.set(key, *v);
    }
    return out;
}

} // namespace kmirror::config
