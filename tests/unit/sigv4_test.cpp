#include "kafka/sigv4.h"

#include <gtest/gtest.h>
#include <ostream>
#include <string>

namespace kmirror::kafka::sigv4 {
namespace {

// aws-c-auth tests/aws-signing-test-suite/v4/<case> (docs: spec/auth.md §2.1): all use these
// credentials, us-east-1, service "service", 2015-08-30T12:36:00Z, Expires 3600.
const Credentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "",
                         std::nullopt};
const TimePoint kTime = Clock::from_time_t(1440938160); // 2015-08-30T12:36:00Z
const Scope kScope{"us-east-1", "service", kTime};
const std::string kStsToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSP"
    "fIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7"
    "WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8"
    "FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

struct VectorCase {
    const char* name;
    std::string method;
    std::string path;
    Params query;
    Params headers;
    std::string token;
    std::string query_signature;
    std::string header_signature;
};

void PrintTo(const VectorCase& c, std::ostream* os) {
    *os << c.name;
}

class SigV4Vectors : public testing::TestWithParam<VectorCase> {};

Request request_of(const VectorCase& c) {
    Request r;
    r.method = c.method;
    r.host = "example.amazonaws.com";
    r.path = c.path;
    r.query = c.query;
    r.headers = c.headers;
    return r;
}

Credentials creds_of(const VectorCase& c) {
    Credentials creds = kCreds;
    creds.session_token = c.token;
    return creds;
}

TEST_P(SigV4Vectors, QueryPresignMatchesAwsCAuth) {
    const auto& c = GetParam();
    const auto s = presign(request_of(c), creds_of(c), kScope, std::chrono::seconds(3600));
    EXPECT_EQ(s.signature, c.query_signature);
    EXPECT_TRUE(s.query.ends_with("&X-Amz-Signature=" + c.query_signature)) << s.query;
}

TEST_P(SigV4Vectors, HeaderSigningMatchesAwsCAuth) {
    const auto& c = GetParam();
    const auto s = sign_headers(request_of(c), creds_of(c), kScope);
    EXPECT_EQ(s.signature, c.header_signature) << s.canonical_request;
    ASSERT_FALSE(s.headers.empty());
    EXPECT_EQ(s.headers.back().first, "Authorization");
    EXPECT_TRUE(s.headers.back().second.ends_with("Signature=" + c.header_signature));
}

INSTANTIATE_TEST_SUITE_P(
    AwsCAuth, SigV4Vectors,
    testing::Values(
        VectorCase{"get_vanilla",
                   "GET",
                   "/",
                   {},
                   {},
                   "",
                   "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d",
                   "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        VectorCase{"get_vanilla_with_session_token",
                   "GET",
                   "/",
                   {},
                   {},
                   "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
                   "7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c",
                   "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
        VectorCase{"get_vanilla_query_order_key_case",
                   "GET",
                   "/",
                   {{"Param2", "value2"}, {"Param1", "value1"}},
                   {},
                   "",
                   "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5",
                   "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        VectorCase{"get_vanilla_utf8_query",
                   "GET",
                   "/",
                   {{"\xE1\x88\xB4", "bar"}},
                   {},
                   "",
                   "0bdd809b1519ac4f0c1dc3540e2cc46bd0c7f778eda408b2ebf3b913d21ff600",
                   "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        VectorCase{"get_vanilla_query_unreserved",
                   "GET",
                   "/",
                   {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
                   {},
                   "",
                   "8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf",
                   "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        VectorCase{"get_vanilla_empty_query_key",
                   "GET",
                   "/",
                   {{"Param1", "value1"}},
                   {},
                   "",
                   "49096700cbbaa5753443850f40df10f904fc2fdb544dc9512203cc77c471a9de",
                   "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
        VectorCase{"get_vanilla_query_order_encoded",
                   "GET",
                   "/",
                   {{"Param-3", "Value3"}, {"Param", "Value2"}, {"\xE1\x88\xB4", "Value1"}},
                   {},
                   "",
                   "c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787",
                   "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"},
        VectorCase{"get_utf8",
                   "GET",
                   "/\xE1\x88\xB4",
                   {},
                   {},
                   "",
                   "10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44",
                   "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        VectorCase{"get_unreserved",
                   "GET",
                   "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                   {},
                   {},
                   "",
                   "95968482db1b9e0fadef6efc1bd24689f77c77d9ef56919c96a28cc92e0d6005",
                   "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        VectorCase{"get_header_value_trim",
                   "GET",
                   "/",
                   {},
                   {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
                   "",
                   "e7bb0fd515e125e1aec2ecc4c0c17484fb06f6846b927c35e46005dd3df3acd4",
                   "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        VectorCase{"post_vanilla",
                   "POST",
                   "/",
                   {},
                   {},
                   "",
                   "2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b",
                   "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        VectorCase{"post_sts_header_before",
                   "POST",
                   "/",
                   {},
                   {},
                   kStsToken,
                   "46c2e3c63c1dbe7d39f8ada16fe7f001c1f56c5791441565323677f96308871c",
                   "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(SigV4, CanonicalRequestOfSessionTokenCase) {
    Request r;
    r.host = "example.amazonaws.com";
    Credentials creds = kCreds;
    creds.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    const auto s = presign(r, creds, kScope, std::chrono::seconds(3600));
    EXPECT_EQ(s.canonical_request,
              "GET\n/\n"
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-"
              "1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-"
              "Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&X-"
              "Amz-SignedHeaders=host\n"
              "host:example.amazonaws.com\n\nhost\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex(s.canonical_request),
              "cb30434103085aa9e73780fc60dc9a9df818fd2a7b1de12a9f6f4d791f898761");
}

TEST(SigV4, SigningKeyMatchesIamDocumentation) {
    EXPECT_EQ(hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1",
                              "iam")),
              "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, UriEncode) {
    EXPECT_EQ(uri_encode("kafka-cluster:Connect"), "kafka-cluster%3AConnect");
    EXPECT_EQ(uri_encode("a b/c+d=e~f_g.h-i"), "a%20b%2Fc%2Bd%3De~f_g.h-i");
    EXPECT_EQ(uri_encode("/a b/c", true), "/a%20b/c");
    EXPECT_EQ(uri_encode("\xE1\x88\xB4"), "%E1%88%B4");
}

TEST(SigV4, AmzDate) {
    EXPECT_EQ(amz_date(kTime), "20150830T123600Z");
    EXPECT_EQ(amz_date(Clock::from_time_t(0)), "19700101T000000Z");
}

TEST(SigV4, HeaderSigningAddsDateTokenAndAuthorization) {
    Request r;
    r.method = "POST";
    r.host = "sts.amazonaws.com";
    Credentials creds = kCreds;
    creds.session_token = "TOKEN";
    const auto s = sign_headers(r, creds, {"us-east-1", "sts", kTime});
    ASSERT_EQ(s.headers.size(), 3U);
    EXPECT_EQ(s.headers[0],
              (std::pair<std::string, std::string>{"X-Amz-Date", "20150830T123600Z"}));
    EXPECT_EQ(s.headers[1], (std::pair<std::string, std::string>{"X-Amz-Security-Token", "TOKEN"}));
    EXPECT_TRUE(s.headers[2].second.starts_with(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="));
    EXPECT_EQ(s.headers[2].second.find(kCreds.secret_access_key), std::string::npos);
}

} // namespace
} // namespace kmirror::kafka::sigv4
