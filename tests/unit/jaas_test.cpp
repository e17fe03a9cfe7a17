#include "kafka/jaas.h"

#include <gtest/gtest.h>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace kmirror::kafka {
namespace {

using Options = std::map<std::string, std::string>;

constexpr const char* kScram = "org.apache.kafka.common.security.scram.ScramLoginModule";
constexpr const char* kPlain = "org.apache.kafka.common.security.plain.PlainLoginModule";
constexpr const char* kIam = "software.amazon.msk.auth.iam.IAMLoginModule";

struct ParseCase {
    const char* name;
    std::string text;
    std::string module;
    std::string flag;
    Options options;
};

void PrintTo(const ParseCase& c, std::ostream* os) {
    *os << c.name;
}

class JaasParse : public testing::TestWithParam<ParseCase> {};

TEST_P(JaasParse, ReadsEntry) {
    const ParseCase& c = GetParam();
    auto entry = parse_jaas_config(c.text);
    ASSERT_TRUE(entry.ok()) << entry.error().message;
    EXPECT_EQ(entry->login_module, c.module);
    EXPECT_EQ(entry->control_flag, c.flag);
    EXPECT_EQ(entry->options, c.options);
}

INSTANTIATE_TEST_SUITE_P(
    JaasCases, JaasParse,
    testing::Values(
        // Exact strings from the seed configurations (JSON and .properties escapes removed).
        ParseCase{"seed_iam",
                  "software.amazon.msk.auth.iam.IAMLoginModule required;",
                  kIam,
                  "required",
                  {}},
        ParseCase{"seed_scram_json_double_space",
                  " org.apache.kafka.common.security.scram.ScramLoginModule required  "
                  "username=\"USERNAME\"  password=\"PASSWORD\"; ",
                  kScram,
                  "required",
                  {{"username", "USERNAME"}, {"password", "PASSWORD"}}},
        ParseCase{"seed_scram_json_space_before_semicolon",
                  " org.apache.kafka.common.security.scram.ScramLoginModule required  "
                  "username=\"USERNAME\" password=\"PASSWORD\" ; ",
                  kScram,
                  "required",
                  {{"username", "USERNAME"}, {"password", "PASSWORD"}}},
        ParseCase{"seed_scram_json_space_after_module",
                  " org.apache.kafka.common.security.scram.ScramLoginModule  required  "
                  "username=\"USERNAME\"  password=\"PASSWORD\"; ",
                  kScram,
                  "required",
                  {{"username", "USERNAME"}, {"password", "PASSWORD"}}},
        ParseCase{"seed_scram_properties_unquoted",
                  "org.apache.kafka.common.security.scram.ScramLoginModule required "
                  "username=USERNAME password=PASSWORD;",
                  kScram,
                  "required",
                  {{"username", "USERNAME"}, {"password", "PASSWORD"}}},
        ParseCase{"testbed_plain",
                  "org.apache.kafka.common.security.plain.PlainLoginModule required "
                  "username=\"admin\" password=\"admin-secret\";",
                  kPlain,
                  "required",
                  {{"username", "admin"}, {"password", "admin-secret"}}},
        ParseCase{"flag_upper_case", "M REQUIRED;", "M", "required", {}},
        ParseCase{"flag_mixed_case", "M Optional;", "M", "optional", {}},
        ParseCase{"flag_requisite", "M requisite;", "M", "requisite", {}},
        ParseCase{"flag_sufficient", "M sufficient;", "M", "sufficient", {}},
        ParseCase{"no_space_before_semicolon", "M required a=b;", "M", "required", {{"a", "b"}}},
        ParseCase{"spaces_around_equals", "M required a = b ;", "M", "required", {{"a", "b"}}},
        ParseCase{
            "tabs_and_newlines", "M\n\trequired\r\n a=\"x\"\n;", "M", "required", {{"a", "x"}}},
        ParseCase{"single_quotes", "M required a='b c';", "M", "required", {{"a", "b c"}}},
        ParseCase{"double_quote_inside_single",
                  "M required a='say \"hi\"';",
                  "M",
                  "required",
                  {{"a", "say \"hi\""}}},
        ParseCase{"empty_quoted_value", "M required a=\"\";", "M", "required", {{"a", ""}}},
        ParseCase{
            "quoted_key_and_module", "\"M\" required \"a b\"=c;", "M", "required", {{"a b", "c"}}},
        ParseCase{"specials_in_quoted_value",
                  "M required a=\"x;y=z/w // v /* u */\";",
                  "M",
                  "required",
                  {{"a", "x;y=z/w // v /* u */"}}},
        ParseCase{"escaped_quote_and_backslash",
                  R"(M required a="p\"q\\r";)",
                  "M",
                  "required",
                  {{"a", "p\"q\\r"}}},
        ParseCase{"java_escapes",
                  R"(M required a="\a\b\f\n\r\t\v";)",
                  "M",
                  "required",
                  {{"a", "\a\b\f\n\r\t\v"}}},
        ParseCase{"octal_escapes",
                  R"(M required a="\101\0\1010\400";)",
                  "M",
                  "required",
                  {{"a", std::string("A") + '\0' + "A0 0"}}},
        ParseCase{"octal_above_ascii_is_a_character",
                  R"(M required a="\377";)",
                  "M",
                  "required",
                  {{"a", "\xC3\xBF"}}},
        ParseCase{"unknown_escape_is_literal",
                  R"(M required a="\x\$\'";)",
                  "M",
                  "required",
                  {{"a", "x$'"}}},
        ParseCase{
            "backslash_newline_kept", "M required a=\"x\\\ny\";", "M", "required", {{"a", "x\ny"}}},
        ParseCase{
            "quote_ends_at_line_end", "M required a=\"abc\n;", "M", "required", {{"a", "abc"}}},
        ParseCase{"unquoted_punctuation",
                  "M required u=user@example.com p=p,a:s!s#%&*(){}[]?;",
                  "M",
                  "required",
                  {{"u", "user@example.com"}, {"p", "p,a:s!s#%&*(){}[]?"}}},
        ParseCase{"unquoted_digits_are_words",
                  "M required n=123 m=-1.5;",
                  "M",
                  "required",
                  {{"n", "123"}, {"m", "-1.5"}}},
        ParseCase{"unquoted_utf8",
                  "M required p=p\xC3\xA4ss\xE2\x82\xAC;",
                  "M",
                  "required",
                  {{"p", "p\xC3\xA4ss\xE2\x82\xAC"}}},
        ParseCase{"latin1_byte_read_as_character",
                  "M required p=caf\xE9;",
                  "M",
                  "required",
                  {{"p", "caf\xC3\xA9"}}},
        ParseCase{"repeated_key_keeps_last", "M required a=1 a=2;", "M", "required", {{"a", "2"}}},
        ParseCase{"keys_case_sensitive",
                  "M required a=1 A=2;",
                  "M",
                  "required",
                  {{"a", "1"}, {"A", "2"}}},
        ParseCase{"line_and_block_comments",
                  "// leading\nM /* inline */ required a=b; // trailing",
                  "M",
                  "required",
                  {{"a", "b"}}},
        ParseCase{"block_comment_splits_word",
                  "M required a=b/*c*/d=e;",
                  "M",
                  "required",
                  {{"a", "b"}, {"d", "e"}}},
        ParseCase{"lone_slash_inside_word", "M required a=b/c\n;", "M", "required", {{"a", "b"}}},
        ParseCase{"lone_slash_then_newline_hides_next_line",
                  "M required a=b /\nc=d\n;",
                  "M",
                  "required",
                  {{"a", "b"}}},
        ParseCase{"iam_options",
                  "software.amazon.msk.auth.iam.IAMLoginModule required "
                  "awsRoleArn=\"arn:aws:iam::123456789012:role/msk\" awsProfileName=default "
                  "awsStsRegion=\"eu-west-1\";",
                  kIam,
                  "required",
                  {{"awsRoleArn", "arn:aws:iam::123456789012:role/msk"},
                   {"awsProfileName", "default"},
                   {"awsStsRegion", "eu-west-1"}}}),
    [](const testing::TestParamInfo<ParseCase>& p) { return std::string(p.param.name); });

struct ErrorCase {
    const char* name;
    std::string text;
    std::string message; // the error must start with this
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
    *os << c.name;
}

class JaasError : public testing::TestWithParam<ErrorCase> {};

TEST_P(JaasError, RejectsLikeKafka) {
    const ErrorCase& c = GetParam();
    auto entry = parse_jaas_config(c.text);
    ASSERT_FALSE(entry.ok()) << "accepted: " << c.text;
    EXPECT_EQ(entry.error().message.rfind(c.message, 0), 0u) << entry.error().message;
    // Every case hides "S3CRET" in an option value or a value fragment; no message may show it.
    EXPECT_EQ(entry.error().message.find("S3CRET"), std::string::npos) << entry.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    JaasCases, JaasError,
    testing::Values(
        ErrorCase{"empty", "", "Login module not specified in JAAS config"},
        ErrorCase{"only_whitespace_and_comments", "  // S3CRET\n /* S3CRET */ ",
                  "Login module not specified in JAAS config"},
        ErrorCase{"module_only", "M", "Login module control flag not specified in JAAS config"},
        ErrorCase{"semicolon_as_flag", "M ;",
                  "Login module control flag is not available in the JAAS config"},
        ErrorCase{"equals_as_flag", "M =S3CRET;",
                  "Login module control flag is not available in the JAAS config"},
        ErrorCase{"misspelt_flag", "M requried;",
                  "Invalid login module control flag 'requried' in JAAS config"},
        ErrorCase{"flag_not_shown_unless_letters", "M \"S3CRET-1\";",
                  "Invalid login module control flag in JAAS config"},
        ErrorCase{"missing_flag_before_options", "M username=S3CRET;",
                  "Invalid login module control flag 'username' in JAAS config"},
        ErrorCase{"no_semicolon", "M required", "JAAS config entry not terminated by semi-colon"},
        ErrorCase{"no_semicolon_after_options", "M required a=S3CRET",
                  "JAAS config entry not terminated by semi-colon"},
        ErrorCase{"slash_comments_out_semicolon", "M required a=S3CRET/x;",
                  "JAAS config entry not terminated by semi-colon"},
        ErrorCase{"unterminated_block_comment", "M required a=S3CRET /* x;",
                  "JAAS config entry not terminated by semi-colon"},
        ErrorCase{"unterminated_quote", "M required a=\"S3CRET",
                  "JAAS config entry not terminated by semi-colon"},
        ErrorCase{"value_missing_before_semicolon", "M required a=;",
                  "Value not specified for key 'a' in JAAS config"},
        ErrorCase{"value_missing_at_end",
                  "M required a=", "Value not specified for key 'a' in JAAS config"},
        ErrorCase{"value_is_equals", "M required a==S3CRET;",
                  "Value not specified for key 'a' in JAAS config"},
        ErrorCase{"key_without_equals", "M required a",
                  "Value not specified for key in JAAS config"},
        ErrorCase{"unquoted_value_with_space", "M required username=u password=my S3CRET x;",
                  "Value not specified for key in JAAS config: expected key=value at the option "
                  "after 'password'"},
        ErrorCase{"equals_without_key", "M required =S3CRET;",
                  "Value not specified for key in JAAS config: expected key=value at the first "
                  "option"},
        ErrorCase{"key_missing", "M required ==S3CRET;",
                  "Option name missing before '=' in JAAS config"},
        ErrorCase{"lone_slash_cuts_unquoted_value", "M required path=/S3CRET\n;",
                  "Value not specified for key 'path' in JAAS config"},
        ErrorCase{"two_modules", "M required a=S3CRET; N optional;",
                  "JAAS config property contains 2 login modules, should be 1 module"},
        ErrorCase{"three_modules", "M required; N required; O required;",
                  "JAAS config property contains 3 login modules, should be 1 module"},
        ErrorCase{"error_in_second_module_first", "M required; N required",
                  "JAAS config entry not terminated by semi-colon"},
        ErrorCase{"module_missing", "; required;",
                  "Login module class name missing in JAAS config"},
        ErrorCase{"module_empty_quoted", "\"\" required a=S3CRET;",
                  "Login module class name missing in JAAS config"}),
    [](const testing::TestParamInfo<ErrorCase>& p) { return std::string(p.param.name); });

TEST(JaasRoundTrip, WritesWhatItReads) {
    const std::vector<JaasEntry> entries = {
        {kIam, "required", {}},
        {kScram, "required", {{"username", "u"}, {"password", "p"}}},
        {"M",
         "optional",
         {{"quotes", "a\"b'c"},
          {"backslash", "\\x\\"},
          {"separators", "a b;c=d/e//f/*g*/"},
          {"controls", std::string("\n\r\t\x01") + '\0' + "7"},
          {"utf8", "p\xC3\xA4ss\xE2\x82\xAC"},
          {"empty", ""},
          {"odd key=;", "v"}}},
        {"odd module/name", "sufficient", {{"k", "v"}}},
    };
    for (const JaasEntry& e : entries) {
        const std::string text = to_jaas_config(e);
        auto back = parse_jaas_config(text);
        ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
        EXPECT_EQ(back->login_module, e.login_module) << text;
        EXPECT_EQ(back->control_flag, e.control_flag) << text;
        EXPECT_EQ(back->options, e.options) << text;
    }
}

TEST(JaasRoundTrip, CanonicalForm) {
    EXPECT_EQ(to_jaas_config({kIam, "required", {}}),
              "software.amazon.msk.auth.iam.IAMLoginModule required;");
    EXPECT_EQ(to_jaas_config({kIam, "required", {{"awsProfileName", "dev"}}}),
              "software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName=\"dev\";");
}

} // namespace
} // namespace kmirror::kafka
