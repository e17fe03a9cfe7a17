// ${ENV} and ${ENV:-default} references in configuration values (config/interpolate.h).
#include "config/interpolate.h"

#include <gtest/gtest.h>
#include <map>
#include <string>

namespace kmirror::config {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

const EnvLookup kEnv = fake_env({{"BROKERS", "b-1:9098,b-2:9098"},
                                 {"EMPTY", ""},
                                 {"REGION", "eu-west-1"},
                                 {"SECRET_PASSWORD", "s3cr3t-VALUE"}});

std::string expand(const std::string& value) {
    auto r = interpolate_value(value, kEnv, "k");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::string("<error>");
}

TEST(Interpolate, ReplacesReferences) {
    EXPECT_EQ(expand("${BROKERS}"), "b-1:9098,b-2:9098");
    EXPECT_EQ(expand("a.${REGION}.b${REGION}"), "a.eu-west-1.beu-west-1");
    EXPECT_EQ(expand("no references"), "no references");
    EXPECT_EQ(expand(""), "");
    EXPECT_EQ(expand("${EMPTY}"), ""); // set but empty: empty, as in the shell
}

TEST(Interpolate, Defaults) {
    EXPECT_EQ(expand("${UNSET:-4}"), "4");
    EXPECT_EQ(expand("${UNSET:-}"), "");
    EXPECT_EQ(expand("${REGION:-us-east-1}"), "eu-west-1");
    EXPECT_EQ(expand("${EMPTY:-fallback}"), "fallback"); // :- treats empty as unset
    EXPECT_EQ(expand("${UNSET:-${REGION}}"), "eu-west-1");
    EXPECT_EQ(expand("${UNSET:-${ALSO_UNSET:-x}-y}"), "x-y");
    EXPECT_EQ(expand("${UNSET:-a:b/c?d=e}"), "a:b/c?d=e");
}

TEST(Interpolate, LeavesOtherSyntaxAlone) {
    EXPECT_EQ(expand("$${BROKERS}"), "${BROKERS}");               // escape
    EXPECT_EQ(expand("${file:/etc/secrets.properties:password}"), // config providers
              "${file:/etc/secrets.properties:password}");
    EXPECT_EQ(expand("cost $5 and $ signs"), "cost $5 and $ signs");
    EXPECT_EQ(expand("${1ABC}"), "${1ABC}");
    EXPECT_EQ(expand("${}"), "${}");
    EXPECT_EQ(expand("${BROKERS"), "${BROKERS"); // unterminated plain form: literal
}

TEST(Interpolate, UnknownVariableIsAnErrorNamingVariableAndKey) {
    auto r = interpolate_value("x ${NOT_SET_ANYWHERE} y", kEnv, "source.bootstrap.servers");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("NOT_SET_ANYWHERE"), std::string::npos);
    EXPECT_NE(r.error().message.find("source.bootstrap.servers"), std::string::npos);

    auto nested = interpolate_value("${UNSET:-${NOPE}}", kEnv, "k2");
    ASSERT_FALSE(nested.ok());
    EXPECT_NE(nested.error().message.find("NOPE"), std::string::npos);

    auto open = interpolate_value("${UNSET:-abc", kEnv, "k3");
    ASSERT_FALSE(open.ok());
    EXPECT_NE(open.error().message.find("k3"), std::string::npos);
}

TEST(Interpolate, PropertiesKeepOrderAndNeverLeakValues) {
    auto parsed = Properties::parse("b = ${BROKERS}\n"
                                    "a.password = ${SECRET_PASSWORD}\n"
                                    "tasks.max = ${TASKS:-4}\n"
                                    "literal = ${x:y}\n");
    ASSERT_TRUE(parsed.ok());
    auto out = interpolate(*parsed, kEnv);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->keys(), (std::vector<std::string>{"b", "a.password", "tasks.max", "literal"}));
    EXPECT_EQ(out->get("b"), "b-1:9098,b-2:9098");
    EXPECT_EQ(out->get("a.password"), "s3cr3t-VALUE");
    EXPECT_EQ(out->get("tasks.max"), "4");
    EXPECT_EQ(out->get("literal"), "${x:y}");

    auto bad = Properties::parse("a.password = ${SECRET_PASSWORD}\nz = ${MISSING}\n");
    ASSERT_TRUE(bad.ok());
    auto err = interpolate(*bad, kEnv);
    ASSERT_FALSE(err.ok());
    EXPECT_NE(err.error().message.find("'z'"), std::string::npos);
    EXPECT_EQ(err.error().message.find("s3cr3t-VALUE"), std::string::npos);
}

} // namespace
} // namespace kmirror::config
