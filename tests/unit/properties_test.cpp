#include "util/properties.h"

#include <gtest/gtest.h>

namespace kmirror {
namespace {

TEST(Properties, ParsesJavaPropertiesSyntax) {
    struct Case {
        const char* text;
        const char* key;
        const char* value;
    };
    const Case cases[] = {
        {"a=b", "a", "b"},
        {"a = b  ", "a", "b  "},
        {"a:b", "a", "b"},
        {"a b", "a", "b"},
        {"  key.with.dots = v", "key.with.dots", "v"},
        {"A->B.enabled = true", "A->B.enabled", "true"},
        {"k=line1\\\n    line2", "k", "line1line2"},
        {"k=tab\\there", "k", "tab\there"},
        {"k=\\u0041BC", "k", "ABC"},
        {"esc\\=aped=v", "esc=aped", "v"},
        {"k=", "k", ""},
        {"k=a=b", "k", "a=b"},
        {"sasl.jaas.config=x required username=\\\"u\\\";", "sasl.jaas.config",
         "x required username=\"u\";"},
    };
    for (const auto& c : cases) {
        auto p = Properties::parse(c.text);
        ASSERT_TRUE(p.ok()) << c.text;
        EXPECT_EQ(p->get(c.key, "<missing>"), c.value) << c.text;
    }
}

TEST(Properties, SkipsCommentsAndKeepsOrder) {
    auto p = Properties::parse("# comment\n! other\n\nb=1\na=2\nb=3\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->size(), 2u);
    EXPECT_EQ(p->keys(), (std::vector<std::string>{"b", "a"}));
    EXPECT_EQ(p->get("b"), "3");
}

TEST(Properties, MalformedUnicodeEscapeIsAnErrorWithLine) {
    auto p = Properties::parse("ok=1\nbad=\\u12");
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().message.find("line 2"), std::string::npos) << p.error().message;
}

TEST(Properties, MissingFileNamesThePath) {
    auto p = Properties::load_file("/nonexistent/mm2.properties");
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().message.find("/nonexistent/mm2.properties"), std::string::npos);
}

TEST(Properties, PrefixStripping) {
    auto p = Properties::parse("A.bootstrap.servers=h:1\nA.consumer.x=1\nB.y=2\nA.=3");
    ASSERT_TRUE(p.ok());
    auto a = p->with_prefix_stripped("A.");
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(a.get("bootstrap.servers"), "h:1");
    EXPECT_EQ(a.get("consumer.x"), "1");
}

} // namespace
} // namespace kmirror
