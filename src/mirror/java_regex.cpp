#define PCRE2_CODE_UNIT_WIDTH 8
#include "mirror/java_regex.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <pcre2.h>

namespace kmirror::mirror {

namespace {

struct MatchDataDeleter {
    void operator()(pcre2_match_data* md) const { pcre2_match_data_free(md); }
};
using MatchDataPtr = std::unique_ptr<pcre2_match_data, MatchDataDeleter>;

struct CompileContextDeleter {
    void operator()(pcre2_compile_context* ctx) const { pcre2_compile_context_free(ctx); }
};

// The translated pattern plus, for each translated byte, the offset of the construct in the
// user's pattern it came from, so PCRE2's error offsets can be reported against what they wrote.
struct Translation {
    std::string text;
    std::vector<size_t> origin;

    void emit(std::string_view s, size_t from) {
        text += s;
        origin.insert(origin.end(), s.size(), from);
    }
};

std::optional<uint32_t> hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return static_cast<uint32_t>(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
        return static_cast<uint32_t>(c - 'a' + 10);
    }
    if (c >= 'A' && c <= 'F') {
        return static_cast<uint32_t>(c - 'A' + 10);
    }
    return std::nullopt;
}
bool is_octal(char c) {
    return c >= '0' && c <= '7';
}

std::string hex_escape(uint32_t code_point) {
    std::array<char, 16> buf{};
    std::snprintf(buf.data(), buf.size(), "\\x{%X}", code_point);
    return buf.data();
}

std::optional<uint32_t> parse_hex4(std::string_view p, size_t at) {
    if (at + 4 > p.size()) {
        return std::nullopt;
    }
    uint32_t v = 0;
    for (size_t k = at; k < at + 4; ++k) {
        auto digit = hex_value(p[k]);
        if (!digit) {
            return std::nullopt;
        }
        v = v * 16 + *digit;
    }
    return v;
}

// java.util.regex's POSIX classes are ASCII-only (unless UNICODE_CHARACTER_CLASS), exactly like
// PCRE2's [:name:] classes without PCRE2_UCP.
std::optional<std::string_view> posix_class_for(std::string_view java_name) {
    struct Entry {
        std::string_view java;
        std::string_view pcre;
    };
    static constexpr std::array<Entry, 13> kClasses{{
        {"Lower", "lower"},
        {"Upper", "upper"},
        {"ASCII", "ascii"},
        {"Alpha", "alpha"},
        {"Digit", "digit"},
        {"Alnum", "alnum"},
        {"Punct", "punct"},
        {"Graph", "graph"},
        {"Print", "print"},
        {"Blank", "blank"},
        {"Cntrl", "cntrl"},
        {"XDigit", "xdigit"},
        {"Space", "space"},
    }};
    for (const auto& e : kClasses) {
        if (e.java == java_name) {
            return e.pcre;
        }
    }
    return std::nullopt;
}

Error syntax_error(const std::string& pattern, size_t offset, std::string_view why) {
    return make_error("invalid regular expression \"" + pattern + "\" at offset " +
                      std::to_string(offset) + ": " + std::string(why));
}

Result<Translation> translate(const std::string& p) {
    Translation t;
    t.text.reserve(p.size() + 8);
    const size_t n = p.size();
    bool in_class = false;
    size_t class_first = 0; // offset of the first member of the open class
    size_t i = 0;
    while (i < n) {
        const char c = p[i];
        if (c == '\\') {
            if (i + 1 >= n) {
                t.emit(p.substr(i), i); // PCRE2 reports the dangling backslash
                break;
            }
            const char d = p[i + 1];
            if (d == 'Q') {
                // Quoted text is literal in both dialects; nothing inside may be rewritten.
                size_t end = p.find("\\E", i + 2);
                end = end == std::string::npos ? n : end + 2;
                t.emit(std::string_view(p).substr(i, end - i), i);
                i = end;
            } else if (d == 'u') {
                auto cp = parse_hex4(p, i + 2);
                if (!cp) {
                    return syntax_error(p, i, "illegal Unicode escape sequence");
                }
                size_t next = i + 6;
                if (*cp >= 0xD800 && *cp <= 0xDBFF && next + 1 < n && p[next] == '\\' &&
                    p[next + 1] == 'u') {
                    // Java reads a UTF-16 surrogate pair as one code point.
                    auto low = parse_hex4(p, next + 2);
                    if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
                        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
                        next += 6;
                    }
                }
                t.emit(hex_escape(*cp), i);
                i = next;
            } else if (d == '0') {
                // Java: \0n, \0nn, \0mnn (m <= 3); PCRE2's \0 takes at most two more digits.
                size_t j = i + 2;
                if (j >= n || !is_octal(p[j])) {
                    return syntax_error(p, i, "illegal octal escape sequence");
                }
                uint32_t v = static_cast<uint32_t>(p[j] - '0');
                const bool three_allowed = p[j] <= '3';
                ++j;
                if (j < n && is_octal(p[j])) {
                    v = v * 8 + static_cast<uint32_t>(p[j] - '0');
                    ++j;
                    if (three_allowed && j < n && is_octal(p[j])) {
                        v = v * 8 + static_cast<uint32_t>(p[j] - '0');
                        ++j;
                    }
                }
                t.emit(hex_escape(v), i);
                i = j;
            } else if ((d == 'p' || d == 'P') && i + 2 < n && p[i + 2] == '{') {
                const size_t close = p.find('}', i + 3);
                if (close == std::string::npos) {
                    t.emit(p.substr(i), i); // PCRE2 reports the malformed property
                    break;
                }
                const std::string_view name = std::string_view(p).substr(i + 3, close - (i + 3));
                const bool negated = d == 'P';
                if (auto posix = posix_class_for(name)) {
                    std::string cls =
                        std::string("[:") + (negated ? "^" : "") + std::string(*posix) + ":]";
                    t.emit(in_class ? cls : "[" + cls + "]", i);
                } else if (name.size() > 2 && name.starts_with("Is")) {
                    t.emit(std::string("\\") + d + "{" + std::string(name.substr(2)) + "}", i);
                } else {
                    t.emit(std::string_view(p).substr(i, close + 1 - i), i);
                }
                i = close + 1;
            } else {
                t.emit(std::string_view(p).substr(i, 2), i);
                i += 2;
            }
            continue;
        }
        if (in_class) {
            if (c == '[') {
                return syntax_error(p, i,
                                    "nested character classes (Java class union, e.g. [a[b]]) "
                                    "are not supported; list the members in one class");
            }
            if (c == '&' && i + 1 < n && p[i + 1] == '&') {
                return syntax_error(p, i,
                                    "character class intersection (&&) is not supported; "
                                    "use a negative lookahead such as (?![b])[a-z] instead");
            }
            if (c == ']' && i != class_first) {
                in_class = false;
            }
            t.emit(std::string_view(p).substr(i, 1), i);
            ++i;
            continue;
        }
        if (c == '[') {
            in_class = true;
            t.emit("[", i);
            ++i;
            if (i < n && p[i] == '^') {
                t.emit("^", i);
                ++i;
            }
            class_first = i;
            continue;
        }
        if (c == '(' && i + 1 < n && p[i + 1] == '?') {
            size_t j = i + 2;
            while (j < n && std::string_view("idmsuxU-").find(p[j]) != std::string_view::npos) {
                ++j;
            }
            if (j > i + 2 && j < n && (p[j] == ')' || p[j] == ':')) {
                std::string flags;
                for (size_t k = i + 2; k < j; ++k) {
                    if (p[k] == 'd' || p[k] == 'U') {
                        return syntax_error(
                            p, k,
                            std::string("the inline flag (?") + p[k] +
                                ") is not supported (PCRE2 has no equivalent, or a different one)");
                    }
                    if (p[k] != 'u') { // UNICODE_CASE: PCRE2 in UTF mode folds Unicode anyway
                        flags += p[k];
                    }
                }
                if (flags.empty() || flags == "-") {
                    t.emit(p[j] == ':' ? "(?:" : "", i);
                } else {
                    t.emit("(?" + flags + p[j], i);
                }
                i = j + 1;
                continue;
            }
        }
        t.emit(std::string_view(p).substr(i, 1), i);
        ++i;
    }
    return t;
}

} // namespace

struct JavaRegex::Code {
    explicit Code(pcre2_code* c) : code(c) {}
    ~Code() { pcre2_code_free(code); }
    Code(const Code&) = delete;
    Code& operator=(const Code&) = delete;
    pcre2_code* code;
};

JavaRegex::JavaRegex(std::string pattern, std::shared_ptr<const Code> code, int group_count)
    : pattern_(std::move(pattern)), code_(std::move(code)), group_count_(group_count) {}

Result<JavaRegex> JavaRegex::compile(const std::string& pattern) {
    auto translated = translate(pattern);
    if (!translated) {
        return translated.error();
    }
    const Translation& t = translated.value();

    std::unique_ptr<pcre2_compile_context, CompileContextDeleter> ctx(
        pcre2_compile_context_create(nullptr));
    if (!ctx) {
        return make_error("out of memory compiling regular expression \"" + pattern + "\"");
    }
    // Java's `.` stops at \n, \r, \u0085, \u2028 and \u2029; NEWLINE_ANY is the closest PCRE2
    // convention (it also stops at VT and FF).
    pcre2_set_newline(ctx.get(), PCRE2_NEWLINE_ANY);

    // Anchoring at compile time (not match time) gives Matcher.matches() semantics with
    // backtracking into alternatives: `a|ab` matches "ab".
    const uint32_t options =
        PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED;
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(t.text.data()), t.text.size(),
                                     options, &error_code, &error_offset, ctx.get());
    if (code == nullptr) {
        std::array<PCRE2_UCHAR, 256> buf{};
        pcre2_get_error_message(error_code, buf.data(), buf.size());
        const size_t offset =
            error_offset < t.origin.size() ? t.origin[error_offset] : pattern.size();
        return syntax_error(pattern, offset, reinterpret_cast<const char*>(buf.data()));
    }
    auto owned = std::make_shared<const Code>(code);
    uint32_t captures = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
    return JavaRegex(pattern, std::move(owned), static_cast<int>(captures));
}

bool JavaRegex::full_match(std::string_view subject) const {
    MatchDataPtr md(pcre2_match_data_create(1, nullptr));
    if (!md) {
        return false;
    }
    const char* data = subject.data() != nullptr ? subject.data() : "";
    const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(data), subject.size(), 0,
                               0, md.get(), nullptr);
    return rc >= 0;
}

std::optional<std::vector<std::optional<std::string_view>>>
JavaRegex::full_match_groups(std::string_view subject) const {
    MatchDataPtr md(pcre2_match_data_create_from_pattern(code_->code, nullptr));
    if (!md) {
        return std::nullopt;
    }
    const char* data = subject.data() != nullptr ? subject.data() : "";
    const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(data), subject.size(), 0,
                               0, md.get(), nullptr);
    if (rc < 0) {
        return std::nullopt;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    std::vector<std::optional<std::string_view>> groups(static_cast<size_t>(group_count_) + 1);
    for (size_t k = 0; k < groups.size() && k < static_cast<size_t>(rc); ++k) {
        if (ov[2 * k] != PCRE2_UNSET) {
            groups[k] = std::string_view(data + ov[2 * k], ov[2 * k + 1] - ov[2 * k]);
        }
    }
    return groups;
}

std::optional<int> JavaRegex::group_number(const std::string& name) const {
    const int n =
        pcre2_substring_number_from_name(code_->code, reinterpret_cast<PCRE2_SPTR>(name.c_str()));
    if (n < 0) {
        return std::nullopt;
    }
    return n;
}

JavaReplacement::JavaReplacement(JavaRegex regex, std::string replacement,
                                 std::vector<Segment> segments)
    : regex_(std::move(regex)), replacement_(std::move(replacement)),
      segments_(std::move(segments)) {}

Result<JavaReplacement> JavaReplacement::compile(const JavaRegex& regex,
                                                 const std::string& replacement) {
    auto fail = [&](const std::string& why) {
        return make_error("invalid replacement \"" + replacement + "\" for regular expression \"" +
                          regex.pattern() + "\": " + why);
    };
    std::vector<Segment> segments;
    std::string literal;
    auto flush = [&] {
        if (!literal.empty()) {
            segments.push_back(Segment{std::move(literal), -1});
            literal.clear();
        }
    };
    const size_t n = replacement.size();
    size_t i = 0;
    while (i < n) {
        const char c = replacement[i];
        if (c == '\\') {
            if (i + 1 >= n) {
                return fail("character to be escaped is missing after the final '\\'");
            }
            literal += replacement[i + 1];
            i += 2;
        } else if (c == '$') {
            ++i;
            if (i >= n) {
                return fail("group index is missing after the final '$' (write \\$ for a "
                            "literal dollar)");
            }
            int group = 0;
            if (replacement[i] == '{') {
                size_t j = i + 1;
                while (j < n && ((replacement[j] >= 'a' && replacement[j] <= 'z') ||
                                 (replacement[j] >= 'A' && replacement[j] <= 'Z') ||
                                 (replacement[j] >= '0' && replacement[j] <= '9'))) {
                    ++j;
                }
                const std::string name = replacement.substr(i + 1, j - (i + 1));
                if (name.empty()) {
                    return fail("named group reference ${} has an empty name");
                }
                if (j >= n || replacement[j] != '}') {
                    return fail("named group reference ${" + name + " is missing its '}'");
                }
                auto number = regex.group_number(name);
                if (!number) {
                    return fail("no group named {" + name + "}");
                }
                group = *number;
                i = j + 1;
            } else {
                if (replacement[i] < '0' || replacement[i] > '9') {
                    return fail("illegal group reference: '$' must be followed by a group number "
                                "or {name}");
                }
                group = replacement[i] - '0';
                ++i;
                // Java takes further digits only while they still name an existing group.
                while (i < n && replacement[i] >= '0' && replacement[i] <= '9') {
                    const int longer = group * 10 + (replacement[i] - '0');
                    if (longer > regex.group_count()) {
                        break;
                    }
                    group = longer;
                    ++i;
                }
                if (group > regex.group_count()) {
                    return fail("no group " + std::to_string(group) + " (the pattern has " +
                                std::to_string(regex.group_count()) + ")");
                }
            }
            flush();
            segments.push_back(Segment{"", group});
        } else {
            literal += c;
            ++i;
        }
    }
    flush();
    return JavaReplacement(regex, replacement, std::move(segments));
}

std::optional<std::string> JavaReplacement::apply_to_full_match(std::string_view subject) const {
    auto groups = regex_.full_match_groups(subject);
    if (!groups) {
        return std::nullopt;
    }
    std::string out;
    for (const auto& seg : segments_) {
        if (seg.group < 0) {
            out += seg.literal;
        } else if (const auto& g = (*groups)[static_cast<size_t>(seg.group)]) {
            out += *g;
        }
    }
    return out;
}

} // namespace kmirror::mirror
