// s3:// key material in connector configurations run by a worker (connect/connector_runner.h):
// fetched with the same code as mm2.properties (config/remote_file.h) into private temporary
// files, against a local cpp-httplib server playing S3 that re-derives every request's SigV4
// signature (the same fake as remote_file_test.cpp).
#include "config/connector_config.h"
#include "config/remote_file.h"
#include "connect/connector_runner.h"
#include "kafka/sigv4.h"
#include "unit/fake_s3.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <map>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <thread>

namespace kmirror::connect {
namespace {

using namespace testing::fake_s3;
constexpr const char* kStorePassword = "store-PASSWORD-secret";
const std::string kJks("\xfe\xed\xfe\xed\x00\x00\x00\x02", 8);

config::RemoteOptions options_for(int port) {
    const std::map<std::string, std::string> vars{
        {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:" + std::to_string(port)},
        {"AWS_REGION", kRegion},
        {"AWS_ACCESS_KEY_ID", kAccessKey},
        {"AWS_SECRET_ACCESS_KEY", kSecret},
        {"AWS_SESSION_TOKEN", kToken}};
    config::RemoteOptions o;
    o.aws.env = [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
    o.aws.now = [] { return kNow; };
    o.aws.home = "/nonexistent-home";
    o.timeout = std::chrono::milliseconds(3000);
    return o;
}

// The shape of the seed's MirrorSourceConnector JSON with TLS to the source.
ConnectorConfig source_connector(const std::string& truststore) {
    return {{"connector.class", "org.apache.kafka.connect.mirror.MirrorSourceConnector"},
            {"source.cluster.alias", "src"},
            {"target.cluster.alias", "tgt"},
            {"source.cluster.bootstrap.servers", "${SOURCE_BROKERS}"},
            {"target.cluster.bootstrap.servers", "localhost:9092"},
            {"topics", "orders.*"},
            {"source.cluster.security.protocol", "SSL"},
            {"source.cluster.ssl.truststore.location", truststore},
            {"source.cluster.ssl.truststore.password", kStorePassword},
            {"target.cluster.ssl.keystore.location", "/etc/kmirror/target.p12"}};
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expect_no_secret(const std::string& text) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
    EXPECT_EQ(text.find(kStorePassword), std::string::npos) << text;
}

TEST(ConnectorKeyMaterial, S3TruststoreBecomesPrivateLocalFile) {
    FakeS3 server;
    server.put("/bucket/truststore.jks", kJks);
    config::S3Fetcher s3(options_for(server.port()));
    const ConnectorConfig stored = source_connector("s3://bucket/truststore.jks");
    std::string path;
    {
        config::TempFiles temp;
        auto props = runner_properties("mm2-msc", stored, "workers", s3, temp);
        ASSERT_TRUE(props.ok()) << props.error().message;
        auto settings = config::parse_mirror_source(*props);
        ASSERT_TRUE(settings.ok()) << settings.error().message;

        path = settings->source_consumer.get("ssl.truststore.location");
        EXPECT_EQ(settings->source_admin.get("ssl.truststore.location"), path);
        ASSERT_EQ(temp.paths(), std::vector<std::string>{path});
        EXPECT_EQ(path.substr(path.size() - 4), ".jks");
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        EXPECT_EQ(read_file(path), kJks);

        // Everything else is literal: local paths stay, no ${VAR} interpolation.
        EXPECT_EQ(settings->target_producer.get("ssl.keystore.location"),
                  "/etc/kmirror/target.p12");
        EXPECT_EQ(props->get("source.cluster.bootstrap.servers"), "${SOURCE_BROKERS}");
        EXPECT_EQ(props->get("name"), "mm2-msc");
        EXPECT_EQ(props->get("kmirror.progress.group.id"),
                  progress_group_name("workers", "mm2-msc"));
    }
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(path).parent_path()));
    // The stored config (what GET /connectors/{name}/config returns) keeps the URI.
    EXPECT_EQ(stored.at("source.cluster.ssl.truststore.location"), "s3://bucket/truststore.jks");
    EXPECT_EQ(server.requests(), 1);
}

TEST(ConnectorKeyMaterial, NoS3ValuesNoRequest) {
    FakeS3 server;
    config::S3Fetcher s3(options_for(server.port()));
    config::TempFiles temp;
    auto props =
        runner_properties("c", source_connector("/etc/kmirror/truststore.jks"), "g", s3, temp);
    ASSERT_TRUE(props.ok()) << props.error().message;
    EXPECT_EQ(props->get("source.cluster.ssl.truststore.location"), "/etc/kmirror/truststore.jks");
    EXPECT_TRUE(temp.paths().empty());
    EXPECT_EQ(server.requests(), 0);
}

TEST(ConnectorKeyMaterial, FetchFailureNamesKeyAndUri) {
    FakeS3 server;
    config::S3Fetcher s3(options_for(server.port()));
    config::TempFiles temp;
    auto props = runner_properties("c", source_connector("s3://bucket/missing.jks"), "g", s3, temp);
    ASSERT_FALSE(props.ok());
    const std::string& msg = props.error().message;
    EXPECT_NE(msg.find("source.cluster.ssl.truststore.location"), std::string::npos) << msg;
    EXPECT_NE(msg.find("s3://bucket/missing.jks"), std::string::npos) << msg;
    EXPECT_NE(msg.find("NoSuchKey"), std::string::npos) << msg;
    expect_no_secret(msg);
    EXPECT_TRUE(temp.paths().empty());
}

// The worker path: ConnectorRunner::create (called by the herder when this worker starts the
// connector) fails with the key and URI; the herder turns the error into a FAILED task whose
// trace is this message.
TEST(ConnectorKeyMaterial, RunnerCreateFailsWithKeyAndUri) {
    FakeS3 server;
    config::S3Fetcher s3(options_for(server.port()));
    auto runner =
        ConnectorRunner::create("c", source_connector("s3://bucket/gone/ts.jks"), "g", &s3);
    ASSERT_FALSE(runner.ok());
    const std::string& msg = runner.error().message;
    EXPECT_NE(msg.find("source.cluster.ssl.truststore.location"), std::string::npos) << msg;
    EXPECT_NE(msg.find("s3://bucket/gone/ts.jks"), std::string::npos) << msg;
    expect_no_secret(msg);
    EXPECT_EQ(server.requests(), 1);

    auto malformed = ConnectorRunner::create("c", source_connector("s3://bucket-only"), "g", &s3);
    ASSERT_FALSE(malformed.ok());
    EXPECT_NE(malformed.error().message.find("source.cluster.ssl.truststore.location"),
              std::string::npos)
        << malformed.error().message;
    EXPECT_EQ(server.requests(), 1);
}

// A runner's files belong to a TempFiles that lives as long as the runner; if the process exits
// while it is alive (std::exit, return from main), the exit handler removes them.
TEST(ConnectorKeyMaterial, LiveTempFilesRemovedAtExit) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kmirror-exit-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    const std::string dir = tmpl;
    EXPECT_EXIT(
        {
            ::setenv("TMPDIR", dir.c_str(), 1);
            auto* temp = new config::TempFiles(); // alive at exit, as a runner of a running worker
            auto path = temp->write(kJks, ".jks");
            std::exit(path.ok() && std::filesystem::exists(*path) ? 0 : 3);
        },
        ::testing::ExitedWithCode(0), "");
    EXPECT_TRUE(std::filesystem::is_empty(dir));
    std::filesystem::remove(dir);
}

// A worker replacing a Kafka Connect cluster that ran MM2 (the seed's set-up): Connect kept MM2's
// progress in the worker's offset.storage.topic, so a source connector reads it there at
// take-over unless it names another topic; other connector kinds are left alone.
TEST(ConnectorRunnerProperties, WorkerOffsetsTopicIsWhereMm2ProgressIsRead) {
    config::S3Fetcher s3(options_for(1));
    config::TempFiles temp;
    auto props = runner_properties("mm2-msc", source_connector("/etc/ts.jks"), "workers", s3, temp,
                                   "connect-offsets");
    ASSERT_TRUE(props.ok()) << props.error().message;
    auto settings = config::parse_mirror_source(*props);
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->mm2_offsets_topic, "connect-offsets");

    auto own = source_connector("/etc/ts.jks");
    own["kmirror.mm2.offsets.topic"] = "mm2-offsets.src.internal";
    props = runner_properties("mm2-msc", own, "workers", s3, temp, "connect-offsets");
    ASSERT_TRUE(props.ok()) << props.error().message;
    EXPECT_EQ(props->get("kmirror.mm2.offsets.topic"), "mm2-offsets.src.internal");

    props = runner_properties("mm2-msc", source_connector("/etc/ts.jks"), "workers", s3, temp);
    ASSERT_TRUE(props.ok()) << props.error().message;
    settings = config::parse_mirror_source(*props);
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings->mm2_offsets_topic, "mm2-offsets.src.internal"); // dedicated mode's

    ConnectorConfig checkpoints = {
        {"connector.class", "org.apache.kafka.connect.mirror.MirrorCheckpointConnector"},
        {"source.cluster.alias", "src"},
        {"target.cluster.alias", "tgt"}};
    props = runner_properties("mm2-cpc", checkpoints, "workers", s3, temp, "connect-offsets");
    ASSERT_TRUE(props.ok()) << props.error().message;
    EXPECT_FALSE(props->contains("kmirror.mm2.offsets.topic"));
}

} // namespace
} // namespace kmirror::connect
