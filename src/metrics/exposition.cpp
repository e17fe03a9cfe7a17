#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>

namespace kmirror::metrics {
namespace {

const char* type_name(Type type) {
    switch (type) {
    case Type::counter:
        return "counter";
    case Type::gauge:
        return "gauge";
    case Type::untyped:
        break;
    }
    return "untyped";
}

bool name_char(char c, bool first, bool colon_ok) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    return alpha || (colon_ok && c == ':') || (!first && digit);
}

std::string sanitize(std::string_view name, bool colon_ok) {
    std::string out;
    out.reserve(name.size() + 1);
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
        out += '_';
    }
    for (size_t i = 0; i < name.size(); ++i) {
        out += name_char(name[i], out.empty(), colon_ok) ? name[i] : '_';
    }
    return out;
}

} // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string sanitize_metric_name(std::string_view name) {
    return sanitize(name, true);
}

std::string sanitize_label_name(std::string_view name) {
    return sanitize(name, false);
}

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    char buf[64];
    if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0) {
        // Counts print as integers ("400000", not "4e+05").
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
        return std::string(buf, ec == std::errc() ? end : buf);
    }
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    if (ec != std::errc()) {
        return "NaN";
    }
    return std::string(buf, end);
}

std::string write_exposition(const std::vector<Sample>& samples) {
    std::string out;
    out.reserve(samples.size() * 96);
    const std::string* previous = nullptr;
    std::set<std::string_view> described;
    for (const auto& s : samples) {
        if ((previous == nullptr || *previous != s.name) && described.insert(s.name).second) {
            if (!s.help.empty()) {
                out += "# HELP " + s.name + " " + escape_help(s.help) + "\n";
            }
            out += "# TYPE " + s.name + " " + type_name(s.type) + "\n";
            previous = &s.name;
        }
        out += s.name;
        if (!s.labels.empty()) {
            out += '{';
            bool first = true;
            for (const auto& [name, value] : s.labels) {
                if (!first) {
                    out += ',';
                }
                first = false;
                out += name + "=\"" + escape_label_value(value) + "\"";
            }
            out += '}';
        }
        out += ' ';
        out += format_value(s.value);
        out += '\n';
    }
    return out;
}

} // namespace kmirror::metrics
