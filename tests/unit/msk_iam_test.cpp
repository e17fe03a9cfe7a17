#include "kafka/client.h"
#include "kafka/msk_iam.h"

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>

namespace kmirror::kafka::msk_iam {
namespace {

using sigv4::Clock;
using sigv4::Credentials;

const Credentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "",
                         std::nullopt};
const sigv4::TimePoint kTime = Clock::from_time_t(1440938160); // 2015-08-30T12:36:00Z
constexpr std::string_view kPythonUa = "aws-msk-iam-sasl-signer-python/1.0.2";

std::string base64url_decode(const std::string& in) {
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        const auto v = kAlphabet.find(c);
        if (v == std::string::npos) {
            return "<invalid>";
        }
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

// ---- spec/auth.md §2.2, the MSK worked example (botocore 1.43.11) -----------------------------

TEST(MskIamToken, WorkedExampleCaseAByteForByte) {
    sigv4::Request req;
    req.host = "kafka.us-west-2.amazonaws.com";
    req.query = {{"Action", "kafka-cluster:Connect"}};
    const auto s = sigv4::presign(req, kCreds, {"us-west-2", "kafka-cluster", kTime},
                                  std::chrono::seconds(900));
    EXPECT_EQ(s.canonical_request,
              "GET\n/\nAction=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-"
              "Credential=AKIDEXAMPLE%2F20150830%2Fus-west-2%2Fkafka-cluster%2Faws4_request&X-Amz-"
              "Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\n"
              "host:kafka.us-west-2.amazonaws.com\n\nhost\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(s.string_to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-west-2/kafka-cluster/aws4_request\n"
              "55a1c73fec23522d2cb783aa633ca72d6cc9b21b78b5282a4566933550854059");
    EXPECT_EQ(s.signature, "2c973e9d100edda2e1a67fdf713430733a1cf411f2d934b92e799a208550d79f");

    const Token t = make_token(kCreds, "us-west-2", kTime, kPythonUa);
    EXPECT_EQ(t.url,
              "https://kafka.us-west-2.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-"
              "Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-west-2%"
              "2Fkafka-cluster%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-"
              "SignedHeaders=host&X-Amz-Signature="
              "2c973e9d100edda2e1a67fdf713430733a1cf411f2d934b92e799a208550d79f&User-Agent=aws-"
              "msk-iam-sasl-signer-python%2F1.0.2");
    EXPECT_EQ(
        t.value,
        "aHR0cHM6Ly9rYWZrYS51cy13ZXN0LTIuYW1hem9uYXdzLmNvbS8_QWN0aW9uPWthZmthLWNsdXN0ZXIlM0FDb25uZ"
        "WN0JlgtQW16LUFsZ29yaXRobT1BV1M0LUhNQUMtU0hBMjU2JlgtQW16LUNyZWRlbnRpYWw9QUtJREVYQU1QTEUlMk"
        "YyMDE1MDgzMCUyRnVzLXdlc3QtMiUyRmthZmthLWNsdXN0ZXIlMkZhd3M0X3JlcXVlc3QmWC1BbXotRGF0ZT0yMDE"
        "1MDgzMFQxMjM2MDBaJlgtQW16LUV4cGlyZXM9OTAwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCZYLUFtei1TaWdu"
        "YXR1cmU9MmM5NzNlOWQxMDBlZGRhMmUxYTY3ZmRmNzEzNDMwNzMzYTFjZjQxMWYyZDkzNGI5MmU3OTlhMjA4NTUwZ"
        "Dc5ZiZVc2VyLUFnZW50PWF3cy1tc2staWFtLXNhc2wtc2lnbmVyLXB5dGhvbiUyRjEuMC4y");
    EXPECT_EQ(t.lifetime_ms, 1440939060000);
}

struct TokenCase {
    const char* name;
    std::string session_token;
    std::string encoded_token;
    std::string canonical_hash;
    std::string signature;
};

void PrintTo(const TokenCase& c, std::ostream* os) {
    *os << c.name;
}

class MskIamWorkedExample : public testing::TestWithParam<TokenCase> {};

TEST_P(MskIamWorkedExample, SessionTokenIsSignedAndEncoded) {
    const auto& c = GetParam();
    Credentials creds = kCreds;
    creds.session_token = c.session_token;
    sigv4::Request req;
    req.host = "kafka.us-west-2.amazonaws.com";
    req.query = {{"Action", "kafka-cluster:Connect"}};
    const auto s = sigv4::presign(req, creds, {"us-west-2", "kafka-cluster", kTime},
                                  std::chrono::seconds(900));
    EXPECT_EQ(sigv4::sha256_hex(s.canonical_request), c.canonical_hash);
    EXPECT_EQ(s.signature, c.signature);
    const Token t = make_token(creds, "us-west-2", kTime, kPythonUa);
    // botocore's order: the token follows X-Amz-SignedHeaders in the URL (but is signed).
    EXPECT_NE(t.url.find("&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=" +
                         c.encoded_token + "&X-Amz-Signature=" + c.signature + "&User-Agent="),
              std::string::npos)
        << t.url;
    EXPECT_EQ(base64url_decode(t.value), t.url);
}

INSTANTIATE_TEST_SUITE_P(
    Spec, MskIamWorkedExample,
    testing::Values(TokenCase{"B_hex_token",
                              "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
                              "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
                              "d308c9b765251696950b5f4e691788ae6ab193015e1e805802cd89ec01168070",
                              "056e992fbbbd45a0f5ee6ac172d4151a3922d6d0a0baa99427070cba5d025545"},
                    TokenCase{"C_token_needing_encoding", "FwoGZXIvYXdzEJr//////////wEaDM+AbC/x==",
                              "FwoGZXIvYXdzEJr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaDM%2BAbC%2Fx%3D%3D",
                              "9e5492b4106e4b87f34ea1420828f6c8ecf74b81243dc00f4bcfd34800baec7e",
                              "d8e3266194ea55b0379e39d08722f9fedea09853b9c791bae2a3a2cb63608c3a"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(MskIamToken, LifetimeIsCappedByCredentialExpiry) {
    Credentials creds = kCreds;
    creds.expiration = kTime + std::chrono::seconds(300);
    EXPECT_EQ(make_token(creds, "us-west-2", kTime).lifetime_ms, (1440938160 + 300) * 1000LL);
    creds.expiration = kTime + std::chrono::hours(1);
    EXPECT_EQ(make_token(creds, "us-west-2", kTime).lifetime_ms, (1440938160 + 900) * 1000LL);
    // Sub-second signing times sign (and expire) at the whole second, as X-Amz-Date does.
    EXPECT_EQ(make_token(kCreds, "us-west-2", kTime + std::chrono::milliseconds(999)).lifetime_ms,
              (1440938160 + 900) * 1000LL);
}

TEST(MskIamToken, DefaultUserAgentIsKmirror) {
    const Token t = make_token(kCreds, "eu-west-1", kTime);
    EXPECT_TRUE(t.url.starts_with("https://kafka.eu-west-1.amazonaws.com/?Action=")) << t.url;
    EXPECT_TRUE(t.url.ends_with("&User-Agent=kmirror%2F0.1.0")) << t.url;
}

TEST(MskIamToken, Base64UrlWithoutPadding) {
    EXPECT_EQ(base64url_nopad(""), "");
    EXPECT_EQ(base64url_nopad("f"), "Zg");
    EXPECT_EQ(base64url_nopad("fo"), "Zm8");
    EXPECT_EQ(base64url_nopad("foo"), "Zm9v");
    EXPECT_EQ(base64url_nopad("\xfb\xff\xbf"), "-_-_");
}

// ---- AWS's own Python signer, same credentials and time --------------------------------------

std::string run(const std::string& command) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) {
        return out;
    }
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
        out.append(buf.data(), n);
    }
    pclose(p);
    return out;
}

struct ReferenceCase {
    const char* name;
    std::string region;
    long long epoch;
    Credentials creds;
};

void PrintTo(const ReferenceCase& c, std::ostream* os) {
    *os << c.name;
}

class MskIamPythonSigner : public testing::TestWithParam<ReferenceCase> {};

TEST_P(MskIamPythonSigner, TokenIsByteIdentical) {
    const std::string root = KMIRROR_SOURCE_DIR;
    const std::string python = root + "/tools/msk-signer-venv/bin/python";
    // scripts/setup.sh installs the reference signer; its absence is a broken set-up, not a
    // reason to pass.
    ASSERT_TRUE(std::filesystem::exists(python))
        << "AWS's Python signer is not installed at " << python << "; run scripts/setup.sh";
    const auto& c = GetParam();
    std::string cmd = "'" + python + "' '" + root + "/tests/unit/msk_signer_reference.py' " +
                      c.region + " " + std::to_string(c.epoch) + " '" + c.creds.access_key_id +
                      "' '" + c.creds.secret_access_key + "'";
    if (!c.creds.session_token.empty()) {
        cmd += " '" + c.creds.session_token + "'";
    }
    std::istringstream answer(run(cmd + " 2>/dev/null"));
    std::string token;
    long long expiry_ms = 0;
    std::string ua;
    answer >> token >> expiry_ms >> ua;
    ASSERT_FALSE(token.empty()) << "the Python signer printed nothing";
    const Token t = make_token(c.creds, c.region, Clock::from_time_t(c.epoch), ua);
    EXPECT_EQ(t.value, token);
    EXPECT_EQ(base64url_decode(t.value), base64url_decode(token));
    EXPECT_EQ(t.lifetime_ms, expiry_ms);
}

INSTANTIATE_TEST_SUITE_P(
    Reference, MskIamPythonSigner,
    testing::Values(ReferenceCase{"no_session_token", "us-west-2", 1440938160, kCreds},
                    ReferenceCase{"session_token",
                                  "eu-central-1",
                                  1700000000,
                                  {"ASIAEXAMPLE", "secret/with+chars=",
                                   "FwoGZXIvYXdzEJr//////////wEaDM+AbC/x==", std::nullopt}},
                    ReferenceCase{"other_region_and_time",
                                  "ap-southeast-2",
                                  1735689599,
                                  {"AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", std::nullopt}}),
    [](const auto& tp) { return std::string(tp.param.name); });

// ---- region and JAAS options ------------------------------------------------------------------

struct RegionCase {
    const char* name;
    std::string bootstrap;
    std::optional<std::string> region;
};

void PrintTo(const RegionCase& c, std::ostream* os) {
    *os << c.name;
}

class MskIamRegion : public testing::TestWithParam<RegionCase> {};

TEST_P(MskIamRegion, FromBootstrapServers) {
    EXPECT_EQ(region_from_bootstrap(GetParam().bootstrap), GetParam().region);
}

INSTANTIATE_TEST_SUITE_P(
    Hosts, MskIamRegion,
    testing::Values(
        RegionCase{"provisioned",
                   "b-1.mycluster.abc123.c2.kafka.us-east-1.amazonaws.com:9098,"
                   "b-2.mycluster.abc123.c2.kafka.us-east-1.amazonaws.com:9098",
                   "us-east-1"},
        RegionCase{"public", "b-1-public.c.x.c4.kafka.eu-west-2.amazonaws.com:9198", "eu-west-2"},
        RegionCase{"serverless", "boot-abc.c1.kafka-serverless.ap-south-1.amazonaws.com:9098",
                   "ap-south-1"},
        RegionCase{"china", "b-1.c.x.c2.kafka.cn-north-1.amazonaws.com.cn:9098", "cn-north-1"},
        RegionCase{"region_label_elsewhere", "broker.us-gov-west-1.example.internal:9098",
                   "us-gov-west-1"},
        RegionCase{"second_broker", "localhost:9092,b-1.c.x.kafka.sa-east-1.amazonaws.com:9098",
                   "sa-east-1"},
        RegionCase{"none", "localhost:9092,10.0.0.1:9098", std::nullopt}),
    [](const auto& tp) { return std::string(tp.param.name); });

aws::EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
}

TEST(MskIamOptions, JaasOptionsAreRead) {
    auto o =
        parse_options("software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName=\"dev\" "
                      "awsRoleArn=\"arn:aws:iam::123456789012:role/msk\" awsRoleSessionName=\"s1\" "
                      "awsRoleExternalId=\"ext\" awsStsRegion=\"eu-west-1\";",
                      "b-1.c.x.c2.kafka.us-east-1.amazonaws.com:9098", {}, env_of({}));
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->region, "us-east-1");
    EXPECT_EQ(o->profile, "dev");
    EXPECT_EQ(o->role_arn, "arn:aws:iam::123456789012:role/msk");
    EXPECT_EQ(o->role_session_name, "s1");
    EXPECT_EQ(o->role_external_id, "ext");
    EXPECT_EQ(o->sts_region, "eu-west-1");
    EXPECT_FALSE(o->role_source);
}

TEST(MskIamOptions, RegionPrecedence) {
    const std::string jaas = "software.amazon.msk.auth.iam.IAMLoginModule required;";
    const std::string msk = "b-1.c.x.c2.kafka.us-east-1.amazonaws.com:9098";
    Properties extra;
    extra.set(std::string(kRegionKey), "eu-north-1");
    EXPECT_EQ(parse_options(jaas, msk, extra, env_of({{"AWS_REGION", "ap-east-1"}}))->region,
              "eu-north-1");
    EXPECT_EQ(parse_options(jaas, msk, {}, env_of({{"AWS_REGION", "ap-east-1"}}))->region,
              "us-east-1");
    EXPECT_EQ(
        parse_options(jaas, "localhost:9098", {}, env_of({{"AWS_REGION", "ap-east-1"}}))->region,
        "ap-east-1");
    EXPECT_EQ(
        parse_options(jaas, "localhost:9098", {}, env_of({{"AWS_DEFAULT_REGION", "me-south-1"}}))
            ->region,
        "me-south-1");
    auto none = parse_options(jaas, "localhost:9098", {}, env_of({}));
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("region"), std::string::npos);
    Properties bad;
    bad.set(std::string(kRegionKey), "us-east-1/../x");
    EXPECT_FALSE(parse_options(jaas, msk, bad, env_of({})));
}

TEST(MskIamOptions, StaticRoleSourceNeedsRoleAndNeverLeaks) {
    const std::string secret = "TOPSECRETvalue123";
    auto missing = parse_options("software.amazon.msk.auth.iam.IAMLoginModule required "
                                 "awsRoleAccessKeyId=\"AK\" awsRoleSecretAccessKey=\"" +
                                     secret + "\";",
                                 "localhost:1", {}, env_of({{"AWS_REGION", "us-east-1"}}));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message.find(secret), std::string::npos);
    auto ok = parse_options("software.amazon.msk.auth.iam.IAMLoginModule required "
                            "awsRoleArn=\"arn:aws:iam::1:role/r\" awsRoleAccessKeyId=\"AK\" "
                            "awsRoleSecretAccessKey=\"" +
                                secret + "\";",
                            "localhost:1", {}, env_of({{"AWS_REGION", "us-east-1"}}));
    ASSERT_TRUE(ok);
    ASSERT_TRUE(ok->role_source);
    EXPECT_EQ(ok->role_source->secret_access_key, secret);
    EXPECT_EQ(ok->role_session_name, "MSKSASLDefaultSession");
}

TEST(MskIamProvider, SignsWithEnvironmentCredentials) {
    aws::AwsContext ctx;
    ctx.env = env_of({{"AWS_ACCESS_KEY_ID", "AKENV"},
                      {"AWS_SECRET_ACCESS_KEY", "SKENV"},
                      {"AWS_EC2_METADATA_DISABLED", "true"}});
    ctx.now = [] { return kTime; };
    ctx.home = "/nonexistent";
    Options o;
    o.region = "us-west-2";
    auto provider = make_token_provider(o, ctx);
    auto t = provider->token();
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->value, make_token({"AKENV", "SKENV", "", std::nullopt}, "us-west-2", kTime).value)
        << "the token is signed with the environment's keys";
}

// ---- librdkafka OAUTHBEARER callback ------------------------------------------------------------

class FakeProvider : public TokenProvider {
public:
    explicit FakeProvider(std::chrono::milliseconds lifetime, bool fail = false)
        : lifetime_(lifetime), fail_(fail) {}
    Result<Token> token() override {
        calls.fetch_add(1);
        if (fail_) {
            return make_error("no credentials for the test");
        }
        Token t = make_token(kCreds, "us-east-1", Clock::now());
        t.lifetime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            (Clock::now() + lifetime_).time_since_epoch())
                            .count();
        return t;
    }
    std::atomic<int> calls{0};

private:
    std::chrono::milliseconds lifetime_;
    bool fail_;
};

ClientSpec oauth_spec(std::shared_ptr<FakeProvider> provider) {
    ClientSpec spec{"msk",
                    "test-producer",
                    {{"bootstrap.servers", "127.0.0.1:1"},
                     {"security.protocol", "SASL_PLAINTEXT"},
                     {"sasl.mechanisms", "OAUTHBEARER"}}};
    spec.configure = [provider](rd_kafka_conf_t* conf) {
        return install_token_provider(conf, provider);
    };
    return spec;
}

template <typename Pred> bool eventually(Pred pred, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::yield();
    }
    return pred();
}

TEST(MskIamOauthbearer, CallbackRunsWithoutPollingAndRefreshesBeforeExpiry) {
    // librdkafka asks again at 80 % of the lifetime: with 2 s, after about 1.6 s.
    auto provider = std::make_shared<FakeProvider>(std::chrono::seconds(2));
    auto client = make_producer(oauth_spec(provider));
    ASSERT_TRUE(client) << client.error().message;
    EXPECT_TRUE(eventually([&] { return provider->calls.load() >= 1; }, std::chrono::seconds(10)))
        << "the refresh callback was not called on the background thread";
    EXPECT_TRUE(eventually([&] { return provider->calls.load() >= 2; }, std::chrono::seconds(10)))
        << "the token was not refreshed before it expired";
}

// librdkafka reports a refused or missing token as an ERR__AUTHENTICATION error naming the cause.
std::string first_auth_error(rd_kafka_t* rk, std::chrono::seconds limit) {
    std::string found;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (found.empty() && std::chrono::steady_clock::now() < deadline) {
        QueuePtr main(rd_kafka_queue_get_main(rk));
        EventPtr ev(rd_kafka_queue_poll(main.get(), 100));
        if (ev && rd_kafka_event_type(ev.get()) == RD_KAFKA_EVENT_ERROR &&
            rd_kafka_event_error(ev.get()) == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
            found = rd_kafka_event_error_string(ev.get());
        }
    }
    return found;
}

TEST(MskIamOauthbearer, ExpiredTokenIsRefusedAndReported) {
    auto provider = std::make_shared<FakeProvider>(std::chrono::seconds(-5));
    auto spec = oauth_spec(provider);
    auto conf = make_conf(spec);
    ASSERT_TRUE(conf);
    rd_kafka_conf_set_events(conf->get(), RD_KAFKA_EVENT_ERROR);
    auto client = make_client(ClientType::producer, std::move(conf).value(), spec);
    ASSERT_TRUE(client) << client.error().message;
    const std::string error = first_auth_error(client->get(), std::chrono::seconds(10));
    EXPECT_NE(error.find("AWS MSK IAM: token refused"), std::string::npos) << error;
}

TEST(MskIamOauthbearer, ProviderFailureIsReportedWithoutSecrets) {
    auto provider = std::make_shared<FakeProvider>(std::chrono::seconds(60), true);
    auto spec = oauth_spec(provider);
    auto conf = make_conf(spec);
    ASSERT_TRUE(conf);
    rd_kafka_conf_set_events(conf->get(), RD_KAFKA_EVENT_ERROR);
    auto client = make_client(ClientType::producer, std::move(conf).value(), spec);
    ASSERT_TRUE(client) << client.error().message;
    const std::string error = first_auth_error(client->get(), std::chrono::seconds(10));
    EXPECT_NE(error.find("AWS MSK IAM: no credentials for the test"), std::string::npos) << error;
    EXPECT_EQ(error.find(kCreds.secret_access_key), std::string::npos);
}

TEST(MskIamOauthbearer, InstallMskIamConfiguresOauthbearerClients) {
    ClientSpec spec{"msk",
                    "test",
                    {{"bootstrap.servers", "b-1.c.x.c2.kafka.us-east-1.amazonaws.com:9098"},
                     {"security.protocol", "SASL_SSL"},
                     {"sasl.mechanisms", "OAUTHBEARER"}}};
    spec.configure = [](rd_kafka_conf_t* conf) {
        return install_msk_iam(conf, "software.amazon.msk.auth.iam.IAMLoginModule required;",
                               "b-1.c.x.c2.kafka.us-east-1.amazonaws.com:9098", {});
    };
    auto conf = make_conf(spec);
    ASSERT_TRUE(conf) << conf.error().message;
    std::array<char, 256> value{};
    size_t size = value.size();
    ASSERT_EQ(rd_kafka_conf_get(conf->get(), "sasl.oauthbearer.config", value.data(), &size),
              RD_KAFKA_CONF_OK);
    EXPECT_TRUE(std::string(value.data()).starts_with("kmirror-msk-iam/"));
    // Same options → same provider (one credential cache per cluster).
    auto conf2 = make_conf(spec);
    ASSERT_TRUE(conf2);
    std::array<char, 256> value2{};
    size = value2.size();
    ASSERT_EQ(rd_kafka_conf_get(conf2->get(), "sasl.oauthbearer.config", value2.data(), &size),
              RD_KAFKA_CONF_OK);
    EXPECT_EQ(std::string(value.data()), std::string(value2.data()));

    ClientSpec bad = spec;
    bad.configure = [](rd_kafka_conf_t* c) {
        return install_msk_iam(c, "software.amazon.msk.auth.iam.IAMLoginModule required;",
                               "localhost:9098", {});
    };
    // No region anywhere (unless the test runs with AWS_REGION set).
    if (std::getenv("AWS_REGION") == nullptr && std::getenv("AWS_DEFAULT_REGION") == nullptr) {
        auto failed = make_conf(bad);
        ASSERT_FALSE(failed);
        EXPECT_NE(failed.error().message.find("cluster 'msk' (test)"), std::string::npos);
    }
}

} // namespace
} // namespace kmirror::kafka::msk_iam
