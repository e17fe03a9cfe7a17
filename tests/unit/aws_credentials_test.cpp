// The AWS credential sources against a local HTTP server (cpp-httplib on 127.0.0.1) playing the
// ECS container endpoint, EC2 IMDS and STS, with a fake clock for expiry and refresh.
#include "kafka/aws_credentials.h"
#include "kafka/msk_iam.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <httplib.h>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace kmirror::kafka::aws {
namespace {

using sigv4::Clock;

const TimePoint kNow = Clock::from_time_t(1700000000); // 2023-11-14T22:13:20Z
// Every secret the servers hand out or the tests configure; no error may contain any of them.
const std::vector<std::string> kSecrets{"SECRETfromSERVER", "TOKENfromSERVER", "auth-TOKEN-xyz",
                                        "web-identity-JWT", "SOURCEsecret",    "ENVsecret"};

void expect_no_secret(const std::string& text) {
    for (const auto& s : kSecrets) {
        EXPECT_EQ(text.find(s), std::string::npos) << "secret '" << s << "' in: " << text;
    }
}

struct Seen {
    std::string method, path, body;
    httplib::Headers headers;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// A local server; register handlers, then start().
class FakeAws {
public:
    FakeAws() { port_ = server.bind_to_any_port("127.0.0.1"); }
    ~FakeAws() {
        server.stop();
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    void start() {
        thread_ = std::thread([this] { server.listen_after_bind(); });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!server.is_running() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
        }
        ASSERT_TRUE(server.is_running());
    }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
    void record(const httplib::Request& req) {
        std::lock_guard lock(mutex_);
        seen_.push_back({req.method, req.path, req.body, req.headers});
    }
    std::vector<Seen> seen() {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    httplib::Server server;

private:
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<Seen> seen_;
};

std::string ecs_json(const std::string& ak, const std::string& expiration) {
    return R"({"RoleArn":"arn:aws:iam::1:role/task","AccessKeyId":")" + ak +
           R"(","SecretAccessKey":"SECRETfromSERVER","Token":"TOKENfromSERVER","Expiration":")" +
           expiration + R"("})";
}

std::string sts_xml(const std::string& action, const std::string& ak,
                    const std::string& expiration) {
    return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" +
           action + "Result><Credentials><AccessKeyId>" + ak +
           "</AccessKeyId><SecretAccessKey>SECRETfromSERVER</SecretAccessKey><SessionToken>"
           "TOKENfromSERVER</SessionToken><Expiration>" +
           expiration + "</Expiration></Credentials></" + action + "Result></" + action +
           "Response>";
}

const std::string kStsError =
    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
    "<Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRole</Message></Error>"
    "<RequestId>r-1</RequestId></ErrorResponse>";

using Env = std::map<std::string, std::string>;

AwsContext context(
    Env vars, std::function<TimePoint()> now = [] { return kNow; }) {
    AwsContext ctx;
    ctx.env = [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        return it == vars.end() || it->second.empty() ? std::nullopt : std::optional(it->second);
    };
    ctx.now = std::move(now);
    ctx.home = "/nonexistent-home";
    ctx.http_timeout = std::chrono::milliseconds(2000);
    ctx.imds_timeout = std::chrono::milliseconds(2000);
    return ctx;
}

class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "kmirror-aws-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        const std::string p = path + "/" + name;
        std::ofstream(p) << text;
        return p;
    }
    std::string path;
};

// ---- environment ------------------------------------------------------------------------------

struct EnvCase {
    const char* name;
    Env env;
    std::optional<Credentials> expected; // nullopt with no error: not configured
    std::string error;                   // non-empty: expected error text
};

void PrintTo(const EnvCase& c, std::ostream* os) {
    *os << c.name;
}

class AwsCredentialsEnv : public testing::TestWithParam<EnvCase> {};

TEST_P(AwsCredentialsEnv, Reads) {
    const auto& c = GetParam();
    auto r = make_environment_provider(context(c.env))->fetch();
    if (!c.error.empty()) {
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().message.find(c.error), std::string::npos) << r.error().message;
        expect_no_secret(r.error().message);
        return;
    }
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->has_value(), c.expected.has_value());
    if (c.expected) {
        EXPECT_EQ((*r)->access_key_id, c.expected->access_key_id);
        EXPECT_EQ((*r)->secret_access_key, c.expected->secret_access_key);
        EXPECT_EQ((*r)->session_token, c.expected->session_token);
        EXPECT_EQ((*r)->expiration, c.expected->expiration);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AwsCredentialsEnv,
    testing::Values(EnvCase{"unset", {}, std::nullopt, ""},
                    EnvCase{
                        "keys",
                        {{"AWS_ACCESS_KEY_ID", "AKENV"}, {"AWS_SECRET_ACCESS_KEY", "ENVsecret"}},
                        Credentials{"AKENV", "ENVsecret", "", std::nullopt},
                        ""},
                    EnvCase{"session_token_and_expiry",
                            {{"AWS_ACCESS_KEY_ID", "AKENV"},
                             {"AWS_SECRET_ACCESS_KEY", "ENVsecret"},
                             {"AWS_SESSION_TOKEN", "tok"},
                             {"AWS_CREDENTIAL_EXPIRATION", "2023-11-14T23:13:20Z"}},
                            Credentials{"AKENV", "ENVsecret", "tok", kNow + std::chrono::hours(1)},
                            ""},
                    EnvCase{"legacy_security_token",
                            {{"AWS_ACCESS_KEY_ID", "AKENV"},
                             {"AWS_SECRET_ACCESS_KEY", "ENVsecret"},
                             {"AWS_SECURITY_TOKEN", "old"}},
                            Credentials{"AKENV", "ENVsecret", "old", std::nullopt},
                            ""},
                    EnvCase{"secret_without_key",
                            {{"AWS_SECRET_ACCESS_KEY", "ENVsecret"}},
                            std::nullopt,
                            "must be set together"},
                    EnvCase{"bad_expiry",
                            {{"AWS_ACCESS_KEY_ID", "AKENV"},
                             {"AWS_SECRET_ACCESS_KEY", "ENVsecret"},
                             {"AWS_CREDENTIAL_EXPIRATION", "tomorrow"}},
                            std::nullopt,
                            "AWS_CREDENTIAL_EXPIRATION"}),
    [](const auto& tp) { return std::string(tp.param.name); });

// ---- ECS container credentials ----------------------------------------------------------------

TEST(AwsCredentialsContainer, FullUriWithAuthorizationToken) {
    FakeAws aws;
    aws.server.Get("/creds", [&](const httplib::Request& req, httplib::Response& res) {
        aws.record(req);
        res.set_content(ecs_json("ASIAECS", "2023-11-15T04:13:20Z"), "application/json");
    });
    aws.start();
    auto r = make_container_provider(
                 context({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", aws.base() + "/creds"},
                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-TOKEN-xyz"}}))
                 ->fetch();
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->access_key_id, "ASIAECS");
    EXPECT_EQ((*r)->secret_access_key, "SECRETfromSERVER");
    EXPECT_EQ((*r)->session_token, "TOKENfromSERVER");
    EXPECT_EQ((*r)->expiration, kNow + std::chrono::hours(6));
    auto seen = aws.seen();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].header("Authorization"), "auth-TOKEN-xyz");
    EXPECT_EQ(seen[0].header("Accept"), "application/json");
}

TEST(AwsCredentialsContainer, RelativeUriAndTokenFileReadOnEveryFetch) {
    FakeAws aws;
    aws.server.Get("/v2/credentials/abc", [&](const httplib::Request& req, httplib::Response& res) {
        aws.record(req);
        res.set_content(ecs_json("ASIAREL", "2023-11-15T04:13:20Z"), "application/json");
    });
    aws.start();
    TempDir dir;
    const std::string file = dir.write("token", "first-token\n");
    AwsContext ctx = context({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"},
                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-token"},
                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file}});
    ctx.container_base = aws.base();
    auto provider = make_container_provider(ctx);
    ASSERT_TRUE(provider->fetch());
    dir.write("token", "second-token");
    auto r = provider->fetch();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->access_key_id, "ASIAREL");
    auto seen = aws.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].header("Authorization"), "first-token");
    EXPECT_EQ(seen[1].header("Authorization"), "second-token");
}

struct ContainerErrorCase {
    const char* name;
    int status;
    std::string body;
    std::string expected;
};

void PrintTo(const ContainerErrorCase& c, std::ostream* os) {
    *os << c.name;
}

class AwsCredentialsContainerErrors : public testing::TestWithParam<ContainerErrorCase> {};

TEST_P(AwsCredentialsContainerErrors, Reported) {
    const auto& c = GetParam();
    FakeAws aws;
    aws.server.Get("/creds", [&](const httplib::Request&, httplib::Response& res) {
        res.status = c.status;
        res.set_content(c.body, "application/json");
    });
    aws.start();
    auto r = make_container_provider(
                 context({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", aws.base() + "/creds"},
                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-TOKEN-xyz"}}))
                 ->fetch();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("ECS container credentials"), std::string::npos);
    expect_no_secret(r.error().message);
}

INSTANTIATE_TEST_SUITE_P(
    Answers, AwsCredentialsContainerErrors,
    testing::Values(ContainerErrorCase{"denied", 403,
                                       R"({"code":"AccessDenied","message":"bad token"})",
                                       "HTTP 403 AccessDenied bad token"},
                    ContainerErrorCase{"server_error", 500, "oops", "HTTP 500"},
                    ContainerErrorCase{"not_json", 200, "SECRETfromSERVER", "not a JSON object"},
                    ContainerErrorCase{"missing_token", 200,
                                       R"({"AccessKeyId":"A","SecretAccessKey":"SECRETfromSERVER",)"
                                       R"("Expiration":"2023-11-15T04:13:20Z"})",
                                       "lacks"},
                    ContainerErrorCase{"bad_expiration", 200, ecs_json("A", "soon"),
                                       "cannot read the Expiration"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(AwsCredentialsContainer, PlainHttpOnlyToLoopbackAndMetadataHosts) {
    auto r = make_container_provider(
                 context({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}}))
                 ->fetch();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("plain http"), std::string::npos) << r.error().message;
    EXPECT_TRUE(http_allowed("127.0.0.1"));
    EXPECT_TRUE(http_allowed("localhost"));
    EXPECT_TRUE(http_allowed("169.254.170.2"));
    EXPECT_TRUE(http_allowed("169.254.170.23"));
    EXPECT_TRUE(http_allowed("169.254.169.254"));
    EXPECT_TRUE(http_allowed("fd00:ec2::254"));
    EXPECT_TRUE(http_allowed("::1"));
    EXPECT_FALSE(http_allowed("127.0.0.1.evil.com"));
    EXPECT_FALSE(http_allowed("169.254.1.1"));
    EXPECT_FALSE(http_allowed("sts.amazonaws.com"));
}

TEST(AwsCredentialsContainer, UnreachableEndpointIsAnError) {
    auto r = make_container_provider(
                 context({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"}}))
                 ->fetch();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("cannot be reached"), std::string::npos) << r.error().message;
}

// ---- EC2 IMDSv2 ---------------------------------------------------------------------------------

struct ImdsBehaviour {
    int token_status = 200;
    int role_status = 200;
    std::string role = "my-role\n";
    int creds_status = 200;
    std::string creds = R"({"Code":"Success","LastUpdated":"2023-11-14T22:00:00Z",)"
                        R"("Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS",)"
                        R"("SecretAccessKey":"SECRETfromSERVER","Token":"TOKENfromSERVER",)"
                        R"("Expiration":"2023-11-15T04:13:20Z"})";
};

void serve_imds(FakeAws& aws, const ImdsBehaviour& b) {
    aws.server.Put(
        "/latest/api/token", [&aws, b](const httplib::Request& req, httplib::Response& res) {
            aws.record(req);
            res.status = b.token_status;
            res.set_content(b.token_status == 200 ? "imds-session-token" : "", "text/plain");
        });
    aws.server.Get("/latest/meta-data/iam/security-credentials/",
                   [&aws, b](const httplib::Request& req, httplib::Response& res) {
                       aws.record(req);
                       res.status = b.role_status;
                       res.set_content(b.role, "text/plain");
                   });
    aws.server.Get("/latest/meta-data/iam/security-credentials/my-role",
                   [&aws, b](const httplib::Request& req, httplib::Response& res) {
                       aws.record(req);
                       res.status = b.creds_status;
                       res.set_content(b.creds, "application/json");
                   });
}

TEST(AwsCredentialsImds, V2SessionTokenRoleAndCredentials) {
    FakeAws aws;
    serve_imds(aws, {});
    aws.start();
    auto r = make_imds_provider(context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", aws.base() + "/"}}))
                 ->fetch();
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->access_key_id, "ASIAIMDS");
    EXPECT_EQ((*r)->session_token, "TOKENfromSERVER");
    EXPECT_EQ((*r)->expiration, kNow + std::chrono::hours(6));
    auto seen = aws.seen();
    ASSERT_EQ(seen.size(), 3U);
    EXPECT_EQ(seen[0].method, "PUT");
    EXPECT_EQ(seen[0].header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
    EXPECT_EQ(seen[1].header("x-aws-ec2-metadata-token"), "imds-session-token");
    EXPECT_EQ(seen[2].header("x-aws-ec2-metadata-token"), "imds-session-token");
}

TEST(AwsCredentialsImds, FallsBackToV1WhenTokenIsNotOffered) {
    FakeAws aws;
    ImdsBehaviour b;
    b.token_status = 403;
    serve_imds(aws, b);
    aws.start();
    auto r =
        make_imds_provider(context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", aws.base()}}))->fetch();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->access_key_id, "ASIAIMDS");
    auto seen = aws.seen();
    ASSERT_EQ(seen.size(), 3U);
    EXPECT_EQ(seen[1].header("x-aws-ec2-metadata-token"), "");

    auto v1_disabled =
        make_imds_provider(context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", aws.base()},
                                    {"AWS_EC2_METADATA_V1_DISABLED", "true"}}))
            ->fetch();
    ASSERT_FALSE(v1_disabled);
    EXPECT_NE(v1_disabled.error().message.find("AWS_EC2_METADATA_V1_DISABLED"), std::string::npos);
}

struct ImdsErrorCase {
    const char* name;
    ImdsBehaviour behaviour;
    std::string expected;
};

void PrintTo(const ImdsErrorCase& c, std::ostream* os) {
    *os << c.name;
}

class AwsCredentialsImdsErrors : public testing::TestWithParam<ImdsErrorCase> {};

TEST_P(AwsCredentialsImdsErrors, Reported) {
    FakeAws aws;
    serve_imds(aws, GetParam().behaviour);
    aws.start();
    auto r =
        make_imds_provider(context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", aws.base()}}))->fetch();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(GetParam().expected), std::string::npos) << r.error().message;
    expect_no_secret(r.error().message);
}

ImdsBehaviour with(std::function<void(ImdsBehaviour&)> f) {
    ImdsBehaviour b;
    f(b);
    return b;
}

INSTANTIATE_TEST_SUITE_P(
    Answers, AwsCredentialsImdsErrors,
    testing::Values(
        ImdsErrorCase{"token_400", with([](auto& b) { b.token_status = 400; }), "HTTP 400"},
        ImdsErrorCase{"no_role", with([](auto& b) { b.role_status = 404; }), "no IAM role"},
        ImdsErrorCase{"empty_role", with([](auto& b) { b.role = ""; }), "no IAM role"},
        ImdsErrorCase{"creds_500", with([](auto& b) { b.creds_status = 500; }), "HTTP 500"},
        ImdsErrorCase{"code_not_success", with([](auto& b) {
                          b.creds = R"({"Code":"AssumeRoleUnauthorizedAccess",)"
                                    R"("AccessKeyId":"A","SecretAccessKey":"SECRETfromSERVER"})";
                      }),
                      "AssumeRoleUnauthorizedAccess"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(AwsCredentialsImds, DisabledOrAbsentMeansNotConfigured) {
    auto disabled = make_imds_provider(context({{"AWS_EC2_METADATA_DISABLED", "true"}}))->fetch();
    ASSERT_TRUE(disabled);
    EXPECT_FALSE(disabled->has_value());
    auto absent =
        make_imds_provider(context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1"}}))
            ->fetch();
    ASSERT_TRUE(absent);
    EXPECT_FALSE(absent->has_value());
}

// ---- STS: web identity and AssumeRole -----------------------------------------------------------

std::map<std::string, std::string> form(const std::string& body) {
    std::map<std::string, std::string> out;
    httplib::Params params;
    httplib::detail::parse_query_text(body, params);
    for (const auto& [k, v] : params) {
        out[k] = v;
    }
    return out;
}

TEST(AwsCredentialsWebIdentity, AssumeRoleWithWebIdentityUnsigned) {
    FakeAws aws;
    aws.server.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
        aws.record(req);
        res.set_content(sts_xml("AssumeRoleWithWebIdentity", "ASIAWEB", "2023-11-14T23:13:20Z"),
                        "text/xml");
    });
    aws.start();
    TempDir dir;
    const std::string file = dir.write("jwt", "web-identity-JWT\n");
    auto r = make_web_identity_provider(context({{"AWS_WEB_IDENTITY_TOKEN_FILE", file},
                                                 {"AWS_ROLE_ARN", "arn:aws:iam::1:role/web"},
                                                 {"AWS_ROLE_SESSION_NAME", "pod-1"},
                                                 {"AWS_ENDPOINT_URL_STS", aws.base()}}))
                 ->fetch();
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->access_key_id, "ASIAWEB");
    EXPECT_EQ((*r)->expiration, kNow + std::chrono::hours(1));
    auto seen = aws.seen();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].header("Authorization"), "");
    auto f = form(seen[0].body);
    EXPECT_EQ(f["Action"], "AssumeRoleWithWebIdentity");
    EXPECT_EQ(f["Version"], "2011-06-15");
    EXPECT_EQ(f["RoleArn"], "arn:aws:iam::1:role/web");
    EXPECT_EQ(f["RoleSessionName"], "pod-1");
    EXPECT_EQ(f["WebIdentityToken"], "web-identity-JWT");
}

TEST(AwsCredentialsWebIdentity, StsErrorIsReportedWithoutTheToken) {
    FakeAws aws;
    aws.server.Post("/", [&](const httplib::Request&, httplib::Response& res) {
        res.status = 403;
        res.set_content(kStsError, "text/xml");
    });
    aws.start();
    TempDir dir;
    const std::string file = dir.write("jwt", "web-identity-JWT");
    auto r = make_web_identity_provider(context({{"AWS_WEB_IDENTITY_TOKEN_FILE", file},
                                                 {"AWS_ROLE_ARN", "arn:aws:iam::1:role/web"},
                                                 {"AWS_ENDPOINT_URL_STS", aws.base()}}))
                 ->fetch();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("HTTP 403 AccessDenied: Not authorized"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("arn:aws:iam::1:role/web"), std::string::npos);
    expect_no_secret(r.error().message);
}

TEST(AwsCredentialsWebIdentity, StsMustBeHttpsUnlessLocal) {
    TempDir dir;
    const std::string file = dir.write("jwt", "web-identity-JWT");
    auto r = make_web_identity_provider(context({{"AWS_WEB_IDENTITY_TOKEN_FILE", file},
                                                 {"AWS_ROLE_ARN", "arn:aws:iam::1:role/web"},
                                                 {"AWS_ENDPOINT_URL_STS", "http://sts.example"}}))
                 ->fetch();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("plain http"), std::string::npos) << r.error().message;
}

// The server re-derives the SigV4 signature from what it received, as STS does.
void serve_signed_sts(FakeAws& aws, const std::string& source_secret, std::string ak) {
    aws.server.Post(
        "/", [&aws, source_secret, ak](const httplib::Request& req, httplib::Response& res) {
            aws.record(req);
            sigv4::Request sreq;
            sreq.method = "POST";
            sreq.host = req.get_header_value("Host");
            sreq.path = "/";
            sreq.headers = {{"content-type", req.get_header_value("Content-Type")}};
            sreq.payload = req.body;
            sigv4::Credentials creds{"", source_secret,
                                     req.get_header_value("X-Amz-Security-Token"), std::nullopt};
            const std::string auth = req.get_header_value("Authorization");
            creds.access_key_id = auth.substr(auth.find("Credential=") + 11,
                                              auth.find('/') - auth.find("Credential=") - 11);
            const auto expected = sigv4::sign_headers(sreq, creds, {"us-east-1", "sts", kNow});
            if (expected.headers.back().second != auth) {
                res.status = 403;
                res.set_content("<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code>"
                                "<Message>mismatch</Message></Error></ErrorResponse>",
                                "text/xml");
                return;
            }
            res.set_content(sts_xml("AssumeRole", ak, "2023-11-14T23:13:20Z"), "text/xml");
        });
}

TEST(AwsCredentialsAssumeRole, SignedWithSourceCredentials) {
    FakeAws aws;
    serve_signed_sts(aws, "SOURCEsecret", "ASIAROLE");
    aws.start();
    auto provider = make_assume_role_provider(
        context({{"AWS_ENDPOINT_URL_STS", aws.base()}}),
        make_static_provider({"AKSOURCE", "SOURCEsecret", "source-session", std::nullopt}),
        {"arn:aws:iam::123456789012:role/msk", "sess", "ext-1", "us-east-1", 1800});
    auto r = provider->fetch();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->access_key_id, "ASIAROLE");
    auto seen = aws.seen();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_TRUE(seen[0]
                    .header("Authorization")
                    .starts_with("AWS4-HMAC-SHA256 Credential=AKSOURCE/20231114/us-east-1/sts/"
                                 "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                                 "x-amz-security-token, Signature="))
        << seen[0].header("Authorization");
    EXPECT_EQ(seen[0].header("X-Amz-Security-Token"), "source-session");
    auto f = form(seen[0].body);
    EXPECT_EQ(f["Action"], "AssumeRole");
    EXPECT_EQ(f["RoleArn"], "arn:aws:iam::123456789012:role/msk");
    EXPECT_EQ(f["RoleSessionName"], "sess");
    EXPECT_EQ(f["ExternalId"], "ext-1");
    EXPECT_EQ(f["DurationSeconds"], "1800");
}

TEST(AwsCredentialsAssumeRole, WrongSignatureIsRefused) {
    FakeAws aws;
    serve_signed_sts(aws, "a-different-secret", "ASIAROLE");
    aws.start();
    auto r = make_assume_role_provider(
                 context({{"AWS_ENDPOINT_URL_STS", aws.base()}}),
                 make_static_provider({"AKSOURCE", "SOURCEsecret", "", std::nullopt}),
                 {"arn:aws:iam::1:role/r", "s", "", "", 0})
                 ->fetch();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("SignatureDoesNotMatch"), std::string::npos);
    expect_no_secret(r.error().message);
}

// ---- shared files -------------------------------------------------------------------------------

TEST(AwsCredentialsProfile, FilesProfilesAndPrecedence) {
    TempDir dir;
    const std::string creds = dir.write("credentials", "[default]\n"
                                                       "aws_access_key_id = AKDEFAULT\n"
                                                       "aws_secret_access_key = SKDEFAULT\n"
                                                       "# comment\n"
                                                       "[dev]\n"
                                                       "aws_access_key_id=AKDEV\n"
                                                       "aws_secret_access_key=SKDEV\n"
                                                       "aws_session_token=TKDEV\n");
    const std::string config = dir.write("config", "[profile dev]\n"
                                                   "aws_access_key_id = AKFROMCONFIG\n"
                                                   "region = eu-west-1\n"
                                                   "s3 =\n"
                                                   "  max_concurrent_requests = 2\n"
                                                   "[profile cfgonly]\n"
                                                   "aws_access_key_id = AKCFG\n"
                                                   "aws_secret_access_key = SKCFG\n");
    Env env{{"AWS_SHARED_CREDENTIALS_FILE", creds}, {"AWS_CONFIG_FILE", config}};
    auto def = make_profile_provider(context(env))->fetch();
    ASSERT_TRUE(def && def->has_value());
    EXPECT_EQ((*def)->access_key_id, "AKDEFAULT");

    env["AWS_PROFILE"] = "dev";
    auto dev = make_profile_provider(context(env))->fetch();
    ASSERT_TRUE(dev && dev->has_value());
    EXPECT_EQ((*dev)->access_key_id, "AKDEV"); // the credentials file wins over config
    EXPECT_EQ((*dev)->session_token, "TKDEV");

    auto cfg = make_profile_provider(context(env), "cfgonly")->fetch();
    ASSERT_TRUE(cfg && cfg->has_value());
    EXPECT_EQ((*cfg)->access_key_id, "AKCFG");

    auto missing = make_profile_provider(context(env), "nope")->fetch();
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("'nope' not found"), std::string::npos);

    env["AWS_PROFILE"] = "absent";
    auto implicit = make_profile_provider(context(env))->fetch();
    ASSERT_TRUE(implicit);
    EXPECT_FALSE(implicit->has_value()); // an implicit profile that is absent: chain moves on
}

TEST(AwsCredentialsProfile, RoleArnWithSourceProfile) {
    FakeAws aws;
    serve_signed_sts(aws, "SOURCEsecret", "ASIAPROFILEROLE");
    aws.start();
    TempDir dir;
    const std::string config = dir.write("config", "[profile base]\n"
                                                   "aws_access_key_id = AKSOURCE\n"
                                                   "aws_secret_access_key = SOURCEsecret\n"
                                                   "[profile msk]\n"
                                                   "role_arn = arn:aws:iam::1:role/msk\n"
                                                   "source_profile = base\n"
                                                   "role_session_name = from-profile\n"
                                                   "external_id = xid\n"
                                                   "[profile loop]\n"
                                                   "role_arn = arn:aws:iam::1:role/x\n"
                                                   "source_profile = loop2\n"
                                                   "[profile loop2]\n"
                                                   "role_arn = arn:aws:iam::1:role/y\n"
                                                   "source_profile = loop\n");
    Env env{{"AWS_CONFIG_FILE", config},
            {"AWS_SHARED_CREDENTIALS_FILE", dir.path + "/none"},
            {"AWS_ENDPOINT_URL_STS", aws.base()}};
    auto r = make_profile_provider(context(env), "msk")->fetch();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->access_key_id, "ASIAPROFILEROLE");
    auto f = form(aws.seen().at(0).body);
    EXPECT_EQ(f["RoleSessionName"], "from-profile");
    EXPECT_EQ(f["ExternalId"], "xid");

    auto loop = make_profile_provider(context(env), "loop")->fetch();
    ASSERT_FALSE(loop);
    EXPECT_NE(loop.error().message.find("circular"), std::string::npos) << loop.error().message;
}

// ---- chain and cache ----------------------------------------------------------------------------

TEST(AwsCredentialsChain, OrderAndNothingConfigured) {
    FakeAws aws;
    aws.server.Get("/creds", [&](const httplib::Request& req, httplib::Response& res) {
        aws.record(req);
        res.set_content(ecs_json("ASIAECS", "2023-11-15T04:13:20Z"), "application/json");
    });
    aws.start();
    Env env{{"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI", aws.base() + "/creds"}};
    auto ecs = make_default_chain(context(env))->fetch();
    ASSERT_TRUE(ecs && ecs->has_value());
    EXPECT_EQ((*ecs)->access_key_id, "ASIAECS");

    env["AWS_ACCESS_KEY_ID"] = "AKENV";
    env["AWS_SECRET_ACCESS_KEY"] = "ENVsecret";
    auto first = make_default_chain(context(env))->fetch();
    ASSERT_TRUE(first && first->has_value());
    EXPECT_EQ((*first)->access_key_id, "AKENV"); // environment before the container
    EXPECT_EQ(aws.seen().size(), 1U);

    CachedCredentials none(make_default_chain(context({{"AWS_EC2_METADATA_DISABLED", "true"}})),
                           [] { return kNow; });
    auto r = none.get();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("no AWS credentials found"), std::string::npos);
    EXPECT_NE(r.error().message.find("ECS container credentials"), std::string::npos);
}

TEST(AwsCredentialsCache, RefreshesBeforeExpiryAndSurvivesOutages) {
    FakeAws aws;
    std::atomic<int> calls{0};
    std::atomic<int> status{200};
    std::atomic<long long> expires_at{Clock::to_time_t(kNow + std::chrono::hours(1))};
    aws.server.Get("/creds", [&](const httplib::Request&, httplib::Response& res) {
        const int n = ++calls;
        res.status = status.load();
        char buf[32];
        const std::time_t t = expires_at.load();
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        res.set_content(ecs_json("ASIA" + std::to_string(n), buf), "application/json");
    });
    aws.start();
    std::atomic<long long> now_s{Clock::to_time_t(kNow)};
    auto clock = [&] { return Clock::from_time_t(now_s.load()); };
    AwsContext ctx =
        context({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", aws.base() + "/creds"}}, clock);
    CachedCredentials cache(make_container_provider(ctx), clock);

    auto a = cache.get();
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->access_key_id, "ASIA1");
    now_s += 40 * 60; // 20 min left: still outside the 15 min refresh window
    EXPECT_EQ(cache.get()->access_key_id, "ASIA1");
    EXPECT_EQ(calls.load(), 1);

    now_s += 6 * 60; // 14 min left: refreshed
    expires_at = now_s.load() + 3600;
    EXPECT_EQ(cache.get()->access_key_id, "ASIA2");
    EXPECT_EQ(calls.load(), 2);

    // An outage inside the refresh window keeps the cached credentials while they are usable...
    status = 500;
    now_s += 50 * 60; // 10 min left
    auto kept = cache.get();
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->access_key_id, "ASIA2");
    EXPECT_EQ(calls.load(), 3);
    // ...but not inside the last 5 minutes.
    now_s += 6 * 60; // 4 min left
    auto failed = cache.get();
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("HTTP 500"), std::string::npos);
    expect_no_secret(failed.error().message);

    // Already-expired credentials from the source are refused.
    status = 200;
    expires_at = now_s.load() - 1;
    auto expired = cache.get();
    ASSERT_FALSE(expired);
    EXPECT_NE(expired.error().message.find("already expired"), std::string::npos);
}

TEST(AwsCredentialsMskIam, TokenProviderUsesAssumedRoleForJaasRole) {
    FakeAws aws;
    serve_signed_sts(aws, "ENVsecret", "ASIAJAASROLE");
    aws.start();
    AwsContext ctx = context({{"AWS_ACCESS_KEY_ID", "AKENV"},
                              {"AWS_SECRET_ACCESS_KEY", "ENVsecret"},
                              {"AWS_ENDPOINT_URL_STS", aws.base()}});
    msk_iam::Options o;
    o.region = "us-east-1";
    o.role_arn = "arn:aws:iam::1:role/jaas";
    o.role_session_name = "jaas-session";
    auto t = msk_iam::make_token_provider(o, ctx)->token();
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_NE(t->url.find("X-Amz-Credential=ASIAJAASROLE%2F20231114%2Fus-east-1%2Fkafka-cluster"),
              std::string::npos)
        << t->url;
    EXPECT_NE(t->url.find("X-Amz-Security-Token=TOKENfromSERVER"), std::string::npos);
    EXPECT_EQ(t->lifetime_ms, (1700000000LL + 900) * 1000);
}

// ---- helpers --------------------------------------------------------------------------------

TEST(AwsCredentialsParse, Iso8601) {
    EXPECT_EQ(parse_iso8601("2023-11-14T22:13:20Z"), kNow);
    EXPECT_EQ(parse_iso8601("2023-11-14T22:13:20.123Z"), kNow);
    EXPECT_EQ(parse_iso8601("2023-11-14T22:13:20+00:00"), kNow);
    EXPECT_FALSE(parse_iso8601("2023-11-14 22:13:20"));
    EXPECT_FALSE(parse_iso8601("2023-11-14T22:13:20+02:00"));
    EXPECT_FALSE(parse_iso8601("2023-13-14T22:13:20Z"));
    EXPECT_FALSE(parse_iso8601(""));
}

TEST(AwsCredentialsParse, Url) {
    auto u = parse_url("https://sts.eu-west-1.amazonaws.com/");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->host, "sts.eu-west-1.amazonaws.com");
    EXPECT_EQ(u->port, "");
    EXPECT_EQ(u->path, "/");
    auto v6 = parse_url("http://[fd00:ec2::254]:80/latest?x=1");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "fd00:ec2::254");
    EXPECT_EQ(v6->port, "80");
    EXPECT_EQ(v6->path, "/latest?x=1");
    auto bare = parse_url("http://127.0.0.1:8080");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->path, "/");
    EXPECT_FALSE(parse_url("ftp://x/"));
    EXPECT_FALSE(parse_url("no-scheme"));
    EXPECT_FALSE(parse_url("http://user:pw@host/"));
}

} // namespace
} // namespace kmirror::kafka::aws
