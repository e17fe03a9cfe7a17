// java.util.regex patterns evaluated with PCRE2.
//
// MM2's filters (topics, groups, config.properties.exclude) are Java regexes matched with
// Matcher.matches(), so users' existing patterns must keep their meaning here. PCRE2 already
// agrees with Java on the syntax people write (classes, escapes, alternation, quantifiers,
// look-around, \Q..\E, named groups). Before compiling we rewrite the few Java-only constructs
// whose PCRE2 spelling differs:
//   * \uhhhh (and surrogate pairs)       -> \x{h...}
//   * \0n, \0nn, \0mnn (octal)           -> \o{...}
//   * \p{Lower} and the other ASCII POSIX classes of java.util.regex -> PCRE2 [:lower:] etc.
//     (PCRE2 would otherwise read \p{Lower} as the Unicode property, which is wider than Java's)
//   * \p{IsLatin}, \p{IsLu}, \p{IsAlphabetic} -> \p{Latin}, \p{Lu}, \p{Alphabetic}
//   * inline flag (?u) (UNICODE_CASE)    -> dropped
// Java constructs PCRE2 would silently read differently are rejected with an error instead of
// matching the wrong names: nested classes / intersections ([a-z&&[^b]], [a[b]]) and the inline
// flags (?d) and (?U). Everything else is handed to PCRE2 unchanged, so PCRE2-only syntax such as
// (*UCP) is accepted although Java would reject it.
// Known small differences: `.` excludes VT and FF as well as Java's line terminators, and (?i)
// folds non-ASCII letters (Java needs (?iu) for that).
#pragma once

#include "util/result.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::mirror {

// Thread rules: immutable after compile(); copies share the compiled code, and every const
// member may be called from any number of threads at once (match data is created per call).
class JavaRegex {
public:
    // Errors name the pattern, the byte offset in it and PCRE2's explanation.
    static Result<JavaRegex> compile(const std::string& pattern);

    // Whole-subject match, like Java's Matcher.matches(). Subjects that are not valid UTF-8 are
    // matched as far as they are valid; a PCRE2 resource limit (catastrophic backtracking) counts
    // as no match.
    bool full_match(std::string_view subject) const;

    // Capture groups of a whole-subject match: index 0 is the subject, unset groups are nullopt.
    // nullopt when the subject does not match. The views point into `subject`.
    std::optional<std::vector<std::optional<std::string_view>>>
    full_match_groups(std::string_view subject) const;

    int group_count() const { return group_count_; }
    // Number of the named group `name`, or nullopt if the pattern has no such group.
    std::optional<int> group_number(const std::string& name) const;

    // The pattern as the user wrote it (not the PCRE2 translation).
    const std::string& pattern() const { return pattern_; }

private:
    struct Code;
    JavaRegex(std::string pattern, std::shared_ptr<const Code> code, int group_count);

    std::string pattern_;
    std::shared_ptr<const Code> code_;
    int group_count_ = 0;
};

// A Java Matcher.appendReplacement template: `$n` (digits taken greedily while they still name an
// existing group), `${name}`, and `\x` for a literal x. Checked against the pattern when
// compiled, so that a bad reference is a start-up error rather than a failure per topic.
// Thread rules: immutable; safe to share between threads.
class JavaReplacement {
public:
    static Result<JavaReplacement> compile(const JavaRegex& regex, const std::string& replacement);

    // The replacement for a subject the regex wholly matches, or nullopt if it does not match.
    // Groups that did not take part in the match expand to nothing, as in Java.
    std::optional<std::string> apply_to_full_match(std::string_view subject) const;

    const std::string& replacement() const { return replacement_; }

private:
    struct Segment {
        std::string literal; // used when group < 0
        int group = -1;
    };
    JavaReplacement(JavaRegex regex, std::string replacement, std::vector<Segment> segments);

    JavaRegex regex_;
    std::string replacement_;
    std::vector<Segment> segments_;
};

} // namespace kmirror::mirror
