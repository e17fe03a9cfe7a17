#include "util/properties.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace kmirror {

void Properties::set(const std::string& key, const std::string& value) {
    auto [it, inserted] = values_.insert_or_assign(key, value);
    if (inserted) {
        order_.push_back(key);
    }
}

const std::string* Properties::find(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
}

std::string Properties::get(const std::string& key, const std::string& fallback) const {
    const auto* v = find(key);
    return v ? *v : fallback;
}

bool Properties::erase(const std::string& key) {
    if (values_.erase(key) == 0) {
        return false;
    }
    order_.erase(std::remove(order_.begin(), order_.end(), key), order_.end());
    return true;
}

Properties Properties::with_prefix_stripped(std::string_view prefix) const {
    Properties out;
    for (const auto& key : order_) {
        if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0) {
            out.set(key.substr(prefix.size()), values_.at(key));
        }
    }
    return out;
}

namespace {

void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\f';
}

// Joins continuation lines into logical lines, as Properties.load does.
std::vector<std::pair<int, std::string>> logical_lines(std::string_view text) {
    std::vector<std::pair<int, std::string>> out;
    std::string current;
    bool continuing = false;
    int line_no = 0;
    int start_line = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        ++line_no;
        size_t i = 0;
        while (i < line.size() && is_ws(line[i])) {
            ++i;
        }
        line.remove_prefix(i);
        if (!continuing) {
            if (line.empty() || line.front() == '#' || line.front() == '!') {
                pos = end + 1;
                continue;
            }
            start_line = line_no;
        }
        size_t backslashes = 0;
        for (size_t j = line.size(); j > 0 && line[j - 1] == '\\'; --j) {
            ++backslashes;
        }
        if (backslashes % 2 == 1) {
            current.append(line.substr(0, line.size() - 1));
            continuing = true;
        } else {
            current.append(line);
            out.emplace_back(start_line, std::move(current));
            current.clear();
            continuing = false;
        }
        pos = end + 1;
    }
    if (continuing) {
        out.emplace_back(start_line, std::move(current));
    }
    return out;
}

// Decodes escapes in a key or value segment.
Status unescape(std::string_view in, std::string& out, int line_no) {
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i >= in.size()) {
            break;
        }
        char e = in[i];
        switch (e) {
        case 't':
            out += '\t';
            break;
        case 'n':
            out += '\n';
            break;
        case 'r':
            out += '\r';
            break;
        case 'f':
            out += '\f';
            break;
        case 'u': {
            if (i + 4 >= in.size()) {
                return make_error("line " + std::to_string(line_no) + ": malformed \\uXXXX escape");
            }
            unsigned cp = 0;
            for (int k = 1; k <= 4; ++k) {
                char h = in[i + k];
                cp <<= 4;
                if (h >= '0' && h <= '9') {
                    cp |= static_cast<unsigned>(h - '0');
                } else if (h >= 'a' && h <= 'f') {
                    cp |= static_cast<unsigned>(h - 'a' + 10);
                } else if (h >= 'A' && h <= 'F') {
                    cp |= static_cast<unsigned>(h - 'A' + 10);
                } else {
                    return make_error("line " + std::to_string(line_no) +
                                      ": malformed \\uXXXX escape");
                }
            }
            append_utf8(out, cp);
            i += 4;
            break;
        }
        default:
            out += e;
        }
    }
    return Status::success();
}

} // namespace

Result<Properties> Properties::parse(std::string_view text) {
    Properties props;
    for (const auto& [line_no, line] : logical_lines(text)) {
        size_t i = 0;
        // Key ends at the first unescaped '=', ':' or whitespace.
        while (i < line.size()) {
            char c = line[i];
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (c == '=' || c == ':' || is_ws(c)) {
                break;
            }
            ++i;
        }
        size_t key_end = std::min(i, line.size());
        while (i < line.size() && is_ws(line[i])) {
            ++i;
        }
        if (i < line.size() && (line[i] == '=' || line[i] == ':')) {
            ++i;
        }
        while (i < line.size() && is_ws(line[i])) {
            ++i;
        }
        std::string key;
        std::string value;
        if (auto s = unescape(std::string_view(line).substr(0, key_end), key, line_no); !s) {
            return s.error();
        }
        if (auto s =
                unescape(std::string_view(line).substr(std::min(i, line.size())), value, line_no);
            !s) {
            return s.error();
        }
        props.set(key, value);
    }
    return props;
}

Result<Properties> Properties::load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error("cannot read config file '" + path + "'");
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto parsed = parse(buffer.str());
    if (!parsed) {
        return make_error(path + ": " + parsed.error().message);
    }
    return parsed;
}

} // namespace kmirror
