#include "kafka/jaas.h"

#include <optional>
#include <utility>
#include <vector>

namespace kmirror::kafka {
namespace {

// Kafka hands the value to java.io.StreamTokenizer, which works on UTF-16 characters and
// classifies only 0..255; everything above is a word character. Decoding UTF-8 to code points
// keeps multi-byte characters inside words instead of splitting them at continuation bytes that
// fall into the 129..159 "ordinary" range.
std::vector<char32_t> decode_utf8(std::string_view s) {
    std::vector<char32_t> out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        size_t len = 0;
        char32_t cp = 0;
        if (b0 < 0x80) {
            len = 1;
            cp = b0;
        } else if ((b0 & 0xE0) == 0xC0) {
            len = 2;
            cp = b0 & 0x1F;
        } else if ((b0 & 0xF0) == 0xE0) {
            len = 3;
            cp = b0 & 0x0F;
        } else if ((b0 & 0xF8) == 0xF0) {
            len = 4;
            cp = b0 & 0x07;
        }
        bool valid = len > 0 && i + len <= s.size();
        for (size_t k = 1; valid && k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            valid = (b & 0xC0) == 0x80;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (!valid) {
            // Not UTF-8: read the byte as Latin-1, which is what Java's Properties.load does.
            out.push_back(b0);
            i += 1;
            continue;
        }
        out.push_back(cp);
        i += len;
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

enum class CharClass { whitespace, word, quote, ordinary, comment };

// Kafka's syntax table: whitespace 0..32, words 33..128 and 160..255 (and, as in StreamTokenizer,
// everything above 255), quotes " and ', `;` and `=` as single-character tokens, `/` as comment.
CharClass classify(char32_t c) {
    if (c <= 32) {
        return CharClass::whitespace;
    }
    if (c == '"' || c == '\'') {
        return CharClass::quote;
    }
    if (c == ';' || c == '=') {
        return CharClass::ordinary;
    }
    if (c == '/') {
        return CharClass::comment;
    }
    if (c >= 129 && c <= 159) {
        return CharClass::ordinary;
    }
    return CharClass::word;
}

constexpr char32_t kEof = 0xFFFFFFFF;

struct Token {
    enum class Kind { eof, word, quoted, ordinary } kind = Kind::eof;
    std::optional<std::string> sval; // set for words and quoted strings only (Java's sval)
    char32_t ch = 0;                 // the character of an ordinary token

    bool is(char32_t c) const { return kind == Kind::ordinary && ch == c; }
};

class Tokenizer {
public:
    explicit Tokenizer(std::string_view text) : chars_(decode_utf8(text)) {}

    Token next() {
        for (;;) {
            char32_t c = peek();
            while (c != kEof && classify(c) == CharClass::whitespace) {
                ++pos_;
                c = peek();
            }
            if (c == kEof) {
                return {};
            }
            switch (classify(c)) {
            case CharClass::word:
                return word();
            case CharClass::quote:
                return quoted(c);
            case CharClass::comment:
                if (!skip_comment()) {
                    return {}; // an unterminated /* comment swallows the rest
                }
                continue;
            case CharClass::ordinary:
            case CharClass::whitespace:
                break;
            }
            ++pos_;
            return Token{Token::Kind::ordinary, std::nullopt, c};
        }
    }

private:
    char32_t peek() const { return pos_ < chars_.size() ? chars_[pos_] : kEof; }
    char32_t read() { return pos_ < chars_.size() ? chars_[pos_++] : kEof; }
    static bool is_eol(char32_t c) { return c == '\n' || c == '\r'; }

    Token word() {
        std::string s;
        while (peek() != kEof && classify(peek()) == CharClass::word) {
            append_utf8(s, read());
        }
        return Token{Token::Kind::word, std::move(s), 0};
    }

    // Java escapes; the string also ends, unterminated, at CR, LF or the end of the input.
    Token quoted(char32_t quote) {
        ++pos_;
        std::string s;
        for (;;) {
            const char32_t c = peek();
            if (c == kEof || is_eol(c)) {
                break; // the line end stays in the input as whitespace
            }
            ++pos_;
            if (c == quote) {
                break;
            }
            if (c != '\\') {
                append_utf8(s, c);
                continue;
            }
            const char32_t e = peek();
            if (e == kEof) {
                break;
            }
            ++pos_;
            if (e >= '0' && e <= '7') {
                // Octal: up to three digits when the first is 0..3 (\0..\377), else two.
                char32_t v = e - '0';
                if (peek() >= '0' && peek() <= '7') {
                    v = v * 8 + (read() - '0');
                    if (e <= '3' && peek() >= '0' && peek() <= '7') {
                        v = v * 8 + (read() - '0');
                    }
                }
                append_utf8(s, v);
                continue;
            }
            switch (e) {
            case 'a':
                append_utf8(s, 0x07);
                break;
            case 'b':
                append_utf8(s, '\b');
                break;
            case 'f':
                append_utf8(s, '\f');
                break;
            case 'n':
                append_utf8(s, '\n');
                break;
            case 'r':
                append_utf8(s, '\r');
                break;
            case 't':
                append_utf8(s, '\t');
                break;
            case 'v':
                append_utf8(s, '\v');
                break;
            default:
                append_utf8(s, e); // \" \' \\ and any other character stand for themselves
                break;
            }
        }
        return Token{Token::Kind::quoted, std::move(s), 0};
    }

    // At a '/'. Returns false when the input ended inside a /* comment.
    bool skip_comment() {
        ++pos_;
        const char32_t c = read();
        if (c == '*') {
            char32_t prev = 0;
            for (;;) {
                const char32_t d = read();
                if (d == kEof) {
                    return false;
                }
                if (d == '/' && prev == '*') {
                    return true;
                }
                prev = d;
            }
        }
        // "//" and a lone "/" both comment out the rest of the line. For a lone '/', the
        // character after it has already been consumed without being checked for a line end
        // (StreamTokenizer does the same), so "/\n" also hides the following line.
        while (peek() != kEof && !is_eol(peek())) {
            ++pos_;
        }
        return true;
    }

    std::vector<char32_t> chars_;
    size_t pos_ = 0;
};

// The control flag is shown in errors only when it looks like a misspelt flag, so that a
// misplaced secret in that position is never echoed.
bool printable_flag(const std::string& s) {
    if (s.empty() || s.size() > 32) {
        return false;
    }
    for (char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> control_flag(const std::string& flag) {
    std::string lower;
    for (char c : flag) {
        lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    for (const char* f : {"required", "requisite", "sufficient", "optional"}) {
        if (lower == f) {
            return lower;
        }
    }
    return std::nullopt;
}

Result<JaasEntry> parse_entry(Tokenizer& tok, Token first) {
    JaasEntry entry;
    const std::optional<std::string> module = first.sval;
    Token t = tok.next();
    if (t.kind == Token::Kind::eof) {
        return make_error("Login module control flag not specified in JAAS config");
    }
    if (!t.sval) {
        return make_error("Login module control flag is not available in the JAAS config");
    }
    auto flag = control_flag(*t.sval);
    if (!flag) {
        if (printable_flag(*t.sval)) {
            return make_error("Invalid login module control flag '" + *t.sval + "' in JAAS config");
        }
        return make_error("Invalid login module control flag in JAAS config (expected required, "
                          "requisite, sufficient or optional)");
    }
    entry.control_flag = std::move(*flag);

    std::string previous_key;
    for (t = tok.next(); t.kind != Token::Kind::eof && !t.is(';'); t = tok.next()) {
        const std::optional<std::string> key = t.sval;
        if (!tok.next().is('=')) {
            // This token may be half of an unquoted value that contained a space, so unlike
            // Kafka we do not repeat it.
            std::string where = previous_key.empty() ? std::string("the first option")
                                                     : "the option after '" + previous_key + "'";
            return make_error("Value not specified for key in JAAS config: expected key=value at " +
                              where +
                              " (quote values that contain spaces, '/', ';', '=' or quotes)");
        }
        if (!key || key->empty()) {
            return make_error("Option name missing before '=' in JAAS config");
        }
        Token value = tok.next();
        if (value.kind == Token::Kind::eof || !value.sval) {
            return make_error("Value not specified for key '" + *key + "' in JAAS config");
        }
        entry.options[*key] = std::move(*value.sval);
        previous_key = *key;
    }
    if (!t.is(';')) {
        return make_error("JAAS config entry not terminated by semi-colon");
    }
    if (!module || module->empty()) {
        return make_error("Login module class name missing in JAAS config");
    }
    entry.login_module = *module;
    return entry;
}

bool is_bare_word(const std::string& s) {
    if (s.empty()) {
        return false;
    }
    for (char32_t c : decode_utf8(s)) {
        if (classify(c) != CharClass::word) {
            return false;
        }
    }
    return true;
}

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (u < 32) {
            // Always three octal digits, so a digit that follows cannot extend the escape.
            out += '\\';
            out += static_cast<char>('0' + ((u >> 6) & 7));
            out += static_cast<char>('0' + ((u >> 3) & 7));
            out += static_cast<char>('0' + (u & 7));
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

std::string word_or_quoted(const std::string& s) {
    return is_bare_word(s) ? s : quote(s);
}

} // namespace

Result<JaasEntry> parse_jaas_config(std::string_view text) {
    Tokenizer tok(text);
    std::vector<JaasEntry> entries;
    for (Token t = tok.next(); t.kind != Token::Kind::eof; t = tok.next()) {
        auto entry = parse_entry(tok, std::move(t));
        if (!entry) {
            return entry.error();
        }
        entries.push_back(std::move(entry).value());
    }
    if (entries.empty()) {
        return make_error("Login module not specified in JAAS config");
    }
    if (entries.size() != 1) {
        return make_error("JAAS config property contains " + std::to_string(entries.size()) +
                          " login modules, should be 1 module");
    }
    return std::move(entries.front());
}

std::string to_jaas_config(const JaasEntry& entry) {
    std::string out = word_or_quoted(entry.login_module) + " " + entry.control_flag;
    for (const auto& [key, value] : entry.options) {
        out += " " + word_or_quoted(key) + "=" + quote(value);
    }
    out += ";";
    return out;
}

} // namespace kmirror::kafka
