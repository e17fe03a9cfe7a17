#include "mirror/java_regex.h"

#include <atomic>
#include <gtest/gtest.h>
#include <thread>
#include <vector>

namespace kmirror::mirror {
namespace {

JavaRegex must_compile(const std::string& pattern) {
    auto r = JavaRegex::compile(pattern);
    EXPECT_TRUE(r.ok()) << pattern << ": " << (r.ok() ? "" : r.error().message);
    if (!r.ok()) {
        return JavaRegex::compile("(?!)").value(); // matches nothing
    }
    return std::move(r).value();
}

struct MatchCase {
    std::string pattern;
    std::string subject;
    bool matches;
};

TEST(JavaRegexTest, FullMatchLikeMatcherMatches) {
    const std::vector<MatchCase> cases = {
        // Patterns from the seed configs and MM2's defaults.
        {R"(^ExampleTopic[\w]*)", "ExampleTopic", true},
        {R"(^ExampleTopic[\w]*)", "ExampleTopic_1a", true},
        {R"(^ExampleTopic[\w]*)", "ExampleTopic-1", false},
        {R"(^ExampleTopic[\w]*)", "xExampleTopic", false},
        {R"(^ExampleTopic[\w]*)", "ExampleTopic\xc3\xa9", false}, // \w is ASCII in Java
        {R"(.*[\-\.]internal)", "mm2-offsets.A.internal", true},
        {R"(.*[\-\.]internal)", "connect-internal", true},
        {R"(.*[\-\.]internal)", "internal", false},
        {R"(.*[\-\.]internal)", "a_internal", false},
        {R"(.*[\-\.]internal)", "a.internal.x", false}, // whole string, not find()
        {"__.*", "__consumer_offsets", true},
        {"__.*", "_x", false},
        {"topic1|topic2", "topic1", true},
        {"topic1|topic2", "topic2", true},
        {"topic1|topic2", "topic12", false},
        {"topic1|topic2", "topic", false},
        {"a|ab", "ab", true}, // backtracks into the second alternative
        {"a.b", "aXb", true}, // a plain name is a regex too
        {".*", "", true},
        {"x*", "", true},
        {"a", "", false},
        {"a$", "a", true},
        {"topic", "topic\n", false},
        {"a.b", "a\nb", false},
        {"a.b", "a\xc3\xa9\x62", true}, // `.` is one code point
        {"a..b", "a\xc3\xa9\x62", false},
        {"(?i)topic", "TOPIC", true},
        {"(?iu)\xc3\xa9", "\xc3\x89", true},
        {"(?u)a", "a", true},
        {"(?<name>x)\\k<name>", "xx", true},
        {"(?:ab)+", "abab", true},
        {"a{2,3}", "aaaa", false},
        {"(?=.*b)a.*", "acb", true},
        {"[]a]+", "]a]", true},
        {"[^]a]", "b", true},
        {"[^]a]", "]", false},
        // \Q...\E is literal, including brackets and escapes.
        {R"(\Qa.b\E)", "a.b", true},
        {R"(\Qa.b\E)", "aXb", false},
        {R"(\Q[\E.*)", "[x", true},
        {R"(\Q\u0041\E)", "\\u0041", true},
        // Java-only spellings.
        {R"(\u0041)", "A", true},
        {R"(\uD83D\uDE00)", "\xf0\x9f\x98\x80", true},
        {R"(\x{1F600})", "\xf0\x9f\x98\x80", true},
        {R"(\0101)", "A", true},
        {R"(\011)", "\t", true},
        {R"(\0477)", "'7", true}, // first digit > 3: two octal digits only
        {R"(\p{Lower}+)", "abc", true},
        {R"(\p{Lower})", "\xc3\xa9", false}, // Java's POSIX classes are ASCII
        {R"(\p{Alpha})", "\xc3\xa9", false},
        {R"(\P{Digit})", "a", true},
        {R"(\P{Digit})", "1", false},
        {R"([\p{Upper}\d]+)", "AB12", true},
        {R"([\p{Upper}\d]+)", "ab", false},
        {R"([^\p{Punct}]+)", "ab", true},
        {R"([^\p{Punct}]+)", "a.b", false},
        {R"(\p{XDigit}+)", "0aF", true},
        {R"(\p{IsLatin}+)", "abc\xc3\xa9", true},
        {R"(\p{IsLu})", "A", true},
        {R"(\p{IsAlphabetic}+)", "\xc3\xa9t\xc3\xa9", true},
        {R"(\p{L}+)", "\xc3\xa9t\xc3\xa9", true},
        {R"(\pL)", "x", true},
        // Invalid UTF-8 in a subject never matches a literal, and never crashes.
        {"a", "\xff", false},
    };
    for (const auto& c : cases) {
        const JavaRegex re = must_compile(c.pattern);
        EXPECT_EQ(re.full_match(c.subject), c.matches)
            << "pattern " << c.pattern << " subject \"" << c.subject << "\"";
    }
}

TEST(JavaRegexTest, CatastrophicBacktrackingIsNoMatchNotAHang) {
    const JavaRegex re = must_compile("(a|aa)+b");
    EXPECT_FALSE(re.full_match(std::string(40, 'a')));
}

struct ErrorCase {
    std::string pattern;
    std::vector<std::string> fragments; // all must appear in the message
};

TEST(JavaRegexTest, CompileErrorsNamePatternOffsetAndReason) {
    const std::vector<ErrorCase> cases = {
        {"[abc", {"\"[abc\"", "at offset 4", "missing terminating ]"}},
        {"(a", {"\"(a\"", "at offset 2", "missing closing parenthesis"}},
        {"*a", {"\"*a\"", "at offset 0", "quantifier does not follow"}},
        {"a\\", {"at offset 2", "\\ at end of pattern"}},
        {"x\\p{javaLowerCase}", {"unknown property"}},
        // Offsets refer to what the user wrote even after a Java escape was rewritten.
        {"\\0101)x", {"at offset 5"}},
        // Java-only syntax that PCRE2 would silently read differently.
        {"[a-z&&[^b]]", {"at offset 4", "intersection"}},
        {"[a[b]]", {"at offset 2", "nested character classes"}},
        {"[[:alpha:]]", {"at offset 1", "nested character classes"}},
        {"(?d)a", {"at offset 2", "(?d)"}},
        {"(?iU)a", {"at offset 3", "(?U)"}},
        {"\\u12", {"at offset 0", "Unicode escape"}},
        {"\\u12G4", {"at offset 0", "Unicode escape"}},
        {"\\08", {"at offset 0", "octal"}},
    };
    for (const auto& c : cases) {
        auto r = JavaRegex::compile(c.pattern);
        ASSERT_FALSE(r.ok()) << c.pattern << " compiled";
        for (const auto& fragment : c.fragments) {
            EXPECT_NE(r.error().message.find(fragment), std::string::npos)
                << c.pattern << ": \"" << r.error().message << "\" lacks \"" << fragment << "\"";
        }
        EXPECT_NE(r.error().message.find("invalid regular expression"), std::string::npos);
    }
}

TEST(JavaRegexTest, GroupsOfAFullMatch) {
    const JavaRegex re = must_compile("(a)(b)?(?<tail>c*)");
    EXPECT_EQ(re.group_count(), 3);
    EXPECT_EQ(re.group_number("tail"), 3);
    EXPECT_EQ(re.group_number("nope"), std::nullopt);
    auto groups = re.full_match_groups("acc");
    ASSERT_TRUE(groups.has_value());
    ASSERT_EQ(groups->size(), 4U);
    EXPECT_EQ((*groups)[0], "acc");
    EXPECT_EQ((*groups)[1], "a");
    EXPECT_EQ((*groups)[2], std::nullopt);
    EXPECT_EQ((*groups)[3], "cc");
    EXPECT_EQ(re.full_match_groups("accx"), std::nullopt);
}

TEST(JavaRegexTest, CopiesShareCompiledCodeSafely) {
    std::optional<JavaRegex> original = must_compile("t.*");
    const JavaRegex copy = *original;
    JavaRegex moved = std::move(*original);
    original.reset();
    EXPECT_TRUE(copy.full_match("topic"));
    EXPECT_TRUE(moved.full_match("topic"));
    EXPECT_EQ(copy.pattern(), "t.*");
}

TEST(JavaRegexTest, ConcurrentMatchingFromManyThreads) {
    const JavaRegex re = must_compile(R"((?<src>\w+)\.(?<topic>.*))");
    std::atomic<int> matched{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&re, &matched, t] {
            for (int i = 0; i < 2000; ++i) {
                const std::string subject = "A" + std::to_string(t) + ".topic" + std::to_string(i);
                auto groups = re.full_match_groups(subject);
                if (re.full_match(subject) && groups && (*groups)[2] == subject.substr(3)) {
                    matched.fetch_add(1, std::memory_order_relaxed);
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(matched.load(), 8 * 2000);
}

// ---- Matcher.appendReplacement templates ----

struct ReplacementCase {
    std::string regex;
    std::string replacement;
    std::string subject;
    std::optional<std::string> expected;
};

TEST(JavaRegexReplacementTest, ExpandsLikeJava) {
    const std::vector<ReplacementCase> cases = {
        {"(.*)", "dr.$1", "orders", "dr.orders"},
        {R"((\w+)-(\w+))", "$2-$1", "a-b", "b-a"},
        {"(.*)", "$0-copy", "t", "t-copy"},
        {"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)", "$11", "abcdefghijk", "k"},
        {"(a)", "$11", "a", "a1"}, // later digits only while they name a group
        {"(?<name>x)y", "${name}!", "xy", "x!"},
        {"(a)|(b)", "[$2]", "a", "[]"}, // a group that did not take part is empty
        {"x", R"(\$1\\)", "x", "$1\\"},
        {"x", "lit", "y", std::nullopt}, // no full match: caller keeps the name
        {"prod-(.*)", "dr-$1", "prod-orders", "dr-orders"},
        {"prod-(.*)", "dr-$1", "xprod-orders", std::nullopt},
    };
    for (const auto& c : cases) {
        const JavaRegex re = must_compile(c.regex);
        auto rep = JavaReplacement::compile(re, c.replacement);
        ASSERT_TRUE(rep.ok()) << c.replacement << ": " << rep.error().message;
        EXPECT_EQ(rep->apply_to_full_match(c.subject), c.expected)
            << c.regex << " / " << c.replacement << " on " << c.subject;
    }
}

TEST(JavaRegexReplacementTest, RejectsBadTemplates) {
    const std::vector<ReplacementCase> cases = {
        {"(a)", "x$", "", std::string("group index is missing")},
        {"(a)", "x\\", "", std::string("character to be escaped is missing")},
        {"(a)", "$x", "", std::string("illegal group reference")},
        {"(a)", "${}", "", std::string("empty name")},
        {"(?<name>a)", "${name", "", std::string("missing its '}'")},
        {"(a)", "${nope}", "", std::string("no group named {nope}")},
        {"(a)", "$2", "", std::string("no group 2")},
    };
    for (const auto& c : cases) {
        const JavaRegex re = must_compile(c.regex);
        auto rep = JavaReplacement::compile(re, c.replacement);
        ASSERT_FALSE(rep.ok()) << c.replacement;
        EXPECT_NE(rep.error().message.find(*c.expected), std::string::npos) << rep.error().message;
        EXPECT_NE(rep.error().message.find(c.replacement), std::string::npos);
    }
}

} // namespace
} // namespace kmirror::mirror
