// s3:// configuration files and key material (config/remote_file.h) against a local cpp-httplib
// server playing S3: it re-derives every request's SigV4 signature with kafka/sigv4.h and answers
// 403 SignatureDoesNotMatch when it differs.
#include "config/remote_file.h"
#include "kafka/sigv4.h"
#include "unit/fake_s3.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <map>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <thread>

namespace kmirror::config {
namespace {

using namespace testing::fake_s3;

kafka::aws::EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

// Credentials through the default chain's environment source, as in a container.
RemoteOptions options_for(int port, const std::string& secret = kSecret) {
    RemoteOptions o;
    o.aws.env = env_of({{"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:" + std::to_string(port)},
                        {"AWS_REGION", kRegion},
                        {"AWS_ACCESS_KEY_ID", kAccessKey},
                        {"AWS_SECRET_ACCESS_KEY", secret},
                        {"AWS_SESSION_TOKEN", kToken}});
    o.aws.now = [] { return kNow; };
    o.aws.home = "/nonexistent-home";
    o.timeout = std::chrono::milliseconds(3000);
    return o;
}

void expect_no_secret(const std::string& text) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
    EXPECT_EQ(text.find("WRONG-secret"), std::string::npos) << text;
}

TEST(S3Uri, Parses) {
    auto u = parse_s3_uri("s3://my-bucket/connector/mm2 msc.json");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->bucket, "my-bucket");
    EXPECT_EQ(u->key, "connector/mm2 msc.json");
    EXPECT_TRUE(is_s3_uri("S3://b/k"));
    EXPECT_FALSE(is_s3_uri("/etc/kmirror/mm2.properties"));
    EXPECT_FALSE(parse_s3_uri("s3://bucket-only").ok());
    EXPECT_FALSE(parse_s3_uri("s3://bucket/").ok());
    EXPECT_FALSE(parse_s3_uri("s3:///key").ok());
    EXPECT_FALSE(parse_s3_uri("s3://b@d/key").ok());
}

TEST(S3Fetcher, DefaultEndpoints) {
    RemoteOptions o;
    o.aws.env = env_of({{"AWS_REGION", "eu-central-1"}});
    S3Fetcher s3(o);
    EXPECT_EQ(*s3.url_for({"my-bucket", "a/b c.jks"}),
              "https://my-bucket.s3.eu-central-1.amazonaws.com/a/b%20c.jks");
    EXPECT_EQ(*s3.url_for({"my.dotted.bucket", "k"}),
              "https://s3.eu-central-1.amazonaws.com/my.dotted.bucket/k");

    RemoteOptions plain;
    plain.aws.env = env_of({{"AWS_ENDPOINT_URL", "http://s3.example.com:9000"}});
    auto refused = S3Fetcher(plain).url_for({"b", "k"});
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("https"), std::string::npos);

    RemoteOptions generic;
    generic.aws.env = env_of({{"AWS_ENDPOINT_URL", "https://minio.internal:9000/"}});
    EXPECT_EQ(*S3Fetcher(generic).url_for({"b", "k/x"}), "https://minio.internal:9000/b/k/x");
}

TEST(S3Fetcher, FetchesWithValidSignature) {
    FakeS3 server;
    server.put("/cfg-bucket/connector/mm2 msc+1.json", "{\"name\":\"mm2-msc\"}");
    S3Fetcher s3(options_for(server.port()));
    auto body = s3.get({"cfg-bucket", "connector/mm2 msc+1.json"});
    ASSERT_TRUE(body.ok()) << body.error().message;
    EXPECT_EQ(*body, "{\"name\":\"mm2-msc\"}");
}

TEST(S3Fetcher, WrongSecretIs403WithoutSecrets) {
    FakeS3 server;
    server.put("/cfg-bucket/k", "x");
    S3Fetcher s3(options_for(server.port(), "WRONG-secret"));
    auto body = s3.get({"cfg-bucket", "k"});
    ASSERT_FALSE(body.ok());
    const auto& msg = body.error().message;
    EXPECT_NE(msg.find("s3://cfg-bucket/k"), std::string::npos) << msg;
    EXPECT_NE(msg.find("403"), std::string::npos) << msg;
    EXPECT_NE(msg.find("SignatureDoesNotMatch"), std::string::npos) << msg;
    expect_no_secret(msg);
}

TEST(S3Fetcher, MissingObjectAndUnreachableEndpoint) {
    FakeS3 server;
    S3Fetcher s3(options_for(server.port()));
    auto missing = s3.get({"cfg-bucket", "nope"});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("404"), std::string::npos);
    EXPECT_NE(missing.error().message.find("NoSuchKey"), std::string::npos);

    RemoteOptions o = options_for(1); // nothing listens on port 1
    o.timeout = std::chrono::milliseconds(500);
    auto down = S3Fetcher(o).get({"b", "k"});
    ASSERT_FALSE(down.ok());
    EXPECT_NE(down.error().message.find("cannot be reached"), std::string::npos);
    expect_no_secret(down.error().message);
}

TEST(TempFiles, PrivateAndRemoved) {
    std::string path;
    {
        TempFiles temp;
        auto p = temp.write("key material", ".p12");
        ASSERT_TRUE(p.ok()) << p.error().message;
        path = *p;
        EXPECT_EQ(path.substr(path.size() - 4), ".p12");
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        struct stat dir {};
        ASSERT_EQ(::stat(std::filesystem::path(path).parent_path().c_str(), &dir), 0);
        EXPECT_EQ(dir.st_mode & 0777, 0700u);
        std::ifstream in(path);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_EQ(text, "key material");
    }
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(path).parent_path()));
}

TEST(LoadProperties, FromS3WithEnvAndRemoteKeyMaterial) {
    FakeS3 server;
    server.put("/cfg-bucket/workers/mm2.properties",
               "clusters = source, target\n"
               "source.bootstrap.servers = ${SOURCE_BROKERS}\n"
               "target.bootstrap.servers = ${TARGET_BROKERS:-localhost:9092}\n"
               "source.ssl.truststore.location = s3://cfg-bucket/tls/truststore.jks\n"
               "source.ssl.truststore.password = ${TRUSTSTORE_PASSWORD}\n"
               "source.ssl.keystore.location = /etc/kmirror/local.p12\n");
    server.put("/cfg-bucket/tls/truststore.jks", std::string("\xfe\xed\xfe\xed\x00\x01", 6));
    const EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "SOURCE_BROKERS") {
            return "b-1.src:9098";
        }
        if (name == "TRUSTSTORE_PASSWORD") {
            return "changeit";
        }
        return std::nullopt;
    };
    S3Fetcher s3(options_for(server.port()));
    std::string truststore;
    {
        TempFiles temp;
        auto props = load_properties("s3://cfg-bucket/workers/mm2.properties", env, s3, temp);
        ASSERT_TRUE(props.ok()) << props.error().message;
        EXPECT_EQ(props->get("source.bootstrap.servers"), "b-1.src:9098");
        EXPECT_EQ(props->get("target.bootstrap.servers"), "localhost:9092");
        EXPECT_EQ(props->get("source.ssl.truststore.password"), "changeit");
        EXPECT_EQ(props->get("source.ssl.keystore.location"), "/etc/kmirror/local.p12");
        truststore = props->get("source.ssl.truststore.location");
        ASSERT_EQ(temp.paths(), std::vector<std::string>{truststore});
        EXPECT_EQ(truststore.substr(truststore.size() - 4), ".jks");
        std::ifstream in(truststore, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_EQ(bytes, std::string("\xfe\xed\xfe\xed\x00\x01", 6));
    }
    EXPECT_FALSE(std::filesystem::exists(truststore));
    EXPECT_EQ(server.requests(), 2);
}

TEST(LoadProperties, ErrorsNameTheKey) {
    FakeS3 server;
    server.put("/b/mm2.properties",
               "clusters = a\na.ssl.truststore.location = s3://b/missing.jks\n");
    server.put("/b/env.properties", "a.bootstrap.servers = ${UNSET_BROKERS}\n");
    S3Fetcher s3(options_for(server.port()));
    TempFiles temp;
    const EnvLookup none = [](const std::string&) { return std::optional<std::string>(); };

    auto missing = load_properties("s3://b/mm2.properties", none, s3, temp);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("a.ssl.truststore.location"), std::string::npos);
    EXPECT_NE(missing.error().message.find("NoSuchKey"), std::string::npos);

    auto unset = load_properties("s3://b/env.properties", none, s3, temp);
    ASSERT_FALSE(unset.ok());
    EXPECT_NE(unset.error().message.find("UNSET_BROKERS"), std::string::npos);
    EXPECT_NE(unset.error().message.find("a.bootstrap.servers"), std::string::npos);

    auto local = load_properties("/nonexistent/mm2.properties", none, s3, temp);
    ASSERT_FALSE(local.ok());
    EXPECT_NE(local.error().message.find("/nonexistent/mm2.properties"), std::string::npos);
    EXPECT_TRUE(temp.paths().empty());
}

} // namespace
} // namespace kmirror::config
