// Proves the integration test bed (tools/kafka/testbed.py + tests/support/testbed.h): both
// clusters accept topics and return records byte for byte over PLAINTEXT, SCRAM and mTLS; the
// authorizer denies alice until she has ACLs; bad credentials are rejected at authentication.
#include "support/testbed.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sstream>

namespace kmirror::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kRecords = 1000;
constexpr int kPartitions = 3;

// What a fresh topic must contain after producing `records` in order: per partition, the
// records in produce order at offsets 0, 1, 2, ...
std::vector<TestRecord> expected_on_fresh_topic(const std::vector<TestRecord>& records) {
    std::vector<TestRecord> out = records;
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.partition < b.partition; });
    std::map<int32_t, int64_t> next;
    for (auto& r : out) {
        r.offset = next[r.partition]++;
    }
    return out;
}

// Produces kRecords varied records through `client` into the (already created, empty) topic and
// reads them back through the same client.
void expect_round_trip(const kafka::Settings& client, const std::string& topic) {
    const auto records = make_records(kRecords, kPartitions, topic);
    const auto expected = expected_on_fresh_topic(records);

    const auto written = produce(client, topic, records);
    ASSERT_TRUE(written == expected) << describe_difference(expected, written);

    const auto read = consume_all(client, topic, 60s);
    ASSERT_TRUE(read == expected) << describe_difference(expected, read);

    const auto marks = watermarks(client, topic);
    ASSERT_EQ(marks.size(), static_cast<size_t>(kPartitions));
    int64_t total = 0;
    for (const auto& [partition, low_high] : marks) {
        EXPECT_EQ(low_high.first, 0) << "partition " << partition;
        total += low_high.second;
    }
    EXPECT_EQ(total, kRecords);
}

void expect_denied_without_acls(const kafka::Settings& client, const std::string& topic) {
    try {
        (void)produce(client, topic, make_records(5, kPartitions, "denied"));
        ADD_FAILURE() << "produce without ACLs succeeded";
    } catch (const KafkaError& e) {
        EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) << e.what();
    }
    try {
        (void)consume_all(client, topic, 10s);
        ADD_FAILURE() << "consume without ACLs succeeded";
    } catch (const KafkaError& e) {
        EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) << e.what();
    }
}

TEST(TestBed, PlaintextRoundTripOnBothClustersWhichAreIndependent) {
    const std::string topic = unique_name("plain");
    for (const ClusterEndpoints* cluster : {&source_cluster(), &target_cluster()}) {
        SCOPED_TRACE("cluster " + cluster->name);
        const auto admin = plaintext_settings(*cluster);
        create_topic(admin, topic, kPartitions);
        expect_round_trip(admin, topic);
    }
    // Same name, two clusters, two topics with their own data: each holds exactly kRecords.
    EXPECT_NE(source_cluster().plaintext, target_cluster().plaintext);
    const auto c2 = unique_name("only-on-source");
    create_topic(plaintext_settings(source_cluster()), c2, 1);
    try {
        (void)watermarks(plaintext_settings(target_cluster()), c2);
        ADD_FAILURE() << "topic created on source is visible on target";
    } catch (const KafkaError& e) {
        EXPECT_EQ(e.code(), RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) << e.what();
    }
}

struct ToolRun {
    std::optional<int> exit_code;
    std::string output;
};

// Kafka's own Java GetOffsetShell over the SCRAM listener: proves the broker side of SCRAM and
// ACLs independently of librdkafka.
ToolRun java_get_offsets(const ClusterEndpoints& cluster, const std::string& user,
                         const std::string& password, const std::string& topic) {
    auto tool = kafka_tool("org.apache.kafka.tools.GetOffsetShell",
                           {"--bootstrap-server", cluster.scram, "--command-config",
                            write_java_properties(java_scram_properties(user, password)),
                            "--topic", topic});
    ToolRun run;
    run.exit_code = tool.wait_for(90s);
    run.output = tool.log();
    return run;
}

// Sum of the "topic:partition:offset" lines GetOffsetShell prints.
int64_t sum_of_end_offsets(const std::string& output, const std::string& topic) {
    int64_t sum = 0;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(topic + ":", 0) == 0) {
            sum += std::stoll(line.substr(line.rfind(':') + 1));
        }
    }
    return sum;
}

TEST(TestBed, ScramUserNeedsAclsThenRoundTripsOnBothClusters) {
    for (const ClusterEndpoints* cluster : {&source_cluster(), &target_cluster()}) {
        SCOPED_TRACE("cluster " + cluster->name);
        const auto admin = plaintext_settings(*cluster);
        const auto alice = scram_settings(*cluster, scram_user(), scram_password());
        const std::string topic = unique_name("scram");
        create_topic(admin, topic, kPartitions);

        if (librdkafka_scram_works(*cluster)) {
            const auto error = connection_error(alice, 30s);
            ASSERT_FALSE(error) << "alice cannot connect: " << error->reason;
            expect_denied_without_acls(alice, topic);
            create_acls(admin, {{.name = topic, .principal = "User:" + scram_user()}});
            expect_round_trip(alice, topic);
            // admin is a super user over SCRAM as well.
            create_topic(scram_settings(*cluster, admin_user(), admin_password()),
                         unique_name("scram-admin"), 1);
            continue;
        }

        // librdkafka < 2.6.1 cannot log in to Kafka 4.x over SCRAM (see testbed.h; a 3.9.x
        // cluster from testbed.py --kafka-3.9 takes the branch above): pin that,
        // then prove the bed's SCRAM listener and authorizer with Kafka's Java client.
        const auto error = connection_error(alice, 30s);
        ASSERT_TRUE(error) << "librdkafka " << rd_kafka_version_str()
                           << " logged in over SCRAM: librdkafka_scram_works_with_kafka4() is wrong";
        EXPECT_EQ(error->code, RD_KAFKA_RESP_ERR__AUTHENTICATION) << error->reason;

        expect_round_trip(admin, topic); // kRecords records, through PLAINTEXT

        const auto denied = java_get_offsets(*cluster, scram_user(), scram_password(), topic);
        EXPECT_NE(denied.exit_code, 0) << denied.output;
        EXPECT_NE(denied.output.find("Could not match any topic-partitions"), std::string::npos)
            << "alice must not see the topic without ACLs:\n" << denied.output;

        create_acls(admin, {{.name = topic, .principal = "User:" + scram_user()}});
        const auto allowed = java_get_offsets(*cluster, scram_user(), scram_password(), topic);
        EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
        EXPECT_EQ(sum_of_end_offsets(allowed.output, topic), kRecords) << allowed.output;

        const auto super = java_get_offsets(*cluster, admin_user(), admin_password(), topic);
        EXPECT_EQ(super.exit_code, 0) << super.output;
        EXPECT_EQ(sum_of_end_offsets(super.output, topic), kRecords) << super.output;
    }
}

TEST(TestBed, ClientCertificateUserNeedsAclsThenRoundTripsOnBothClusters) {
    for (const ClusterEndpoints* cluster : {&source_cluster(), &target_cluster()}) {
        SCOPED_TRACE("cluster " + cluster->name);
        const auto admin = plaintext_settings(*cluster);
        const auto alice = ssl_settings(*cluster);
        const std::string topic = unique_name("mtls");
        create_topic(admin, topic, kPartitions);

        const auto error = connection_error(alice, 30s);
        ASSERT_FALSE(error) << "CN=alice cannot connect: " << error->reason;
        expect_denied_without_acls(alice, topic);

        // The ACL names User:alice: this passes only if CN=alice maps to that principal.
        create_acls(admin, {{.name = topic, .principal = "User:alice"}});
        expect_round_trip(alice, topic);
    }
}

TEST(TestBed, WrongScramPasswordFailsAuthentication) {
    const auto error =
        connection_error(scram_settings(source_cluster(), scram_user(), "not-the-password"), 30s);
    ASSERT_TRUE(error) << "a wrong password was accepted";
    EXPECT_EQ(error->code, RD_KAFKA_RESP_ERR__AUTHENTICATION) << error->reason;
    EXPECT_NE(error->reason.find("invalid credentials"), std::string::npos) << error->reason;

    // The same through the Java client, where the right password does work (librdkafka 2.0.2
    // fails for every password, so the check above alone would prove nothing).
    const auto topic = unique_name("wrong-password");
    create_topic(plaintext_settings(source_cluster()), topic, 1);
    const auto wrong = java_get_offsets(source_cluster(), scram_user(), "not-the-password", topic);
    EXPECT_NE(wrong.exit_code, 0) << wrong.output;
    EXPECT_NE(wrong.output.find("SaslAuthenticationException"), std::string::npos) << wrong.output;
    const auto right = java_get_offsets(source_cluster(), admin_user(), admin_password(), topic);
    EXPECT_EQ(right.exit_code, 0) << right.output;
}

TEST(TestBed, UntrustedClientCertificateFailsTheHandshake) {
    for (const char* file : {"ca.pem", "client.pem", "client.key", "client.crt",
                             "untrusted-client.pem", "untrusted-client.key",
                             "untrusted-client.crt"}) {
        EXPECT_TRUE(std::filesystem::exists(tls_dir() + "/" + file)) << file;
    }
    const auto error = connection_error(ssl_settings(source_cluster(), false), 30s);
    ASSERT_TRUE(error) << "an untrusted client certificate was accepted";
    // TLS 1.3: the client finishes its side of the handshake first, so the broker's rejection
    // arrives as an alert on the first read (__TRANSPORT); with TLS 1.2 it is __SSL.
    EXPECT_TRUE(error->code == RD_KAFKA_RESP_ERR__SSL || error->code == RD_KAFKA_RESP_ERR__TRANSPORT)
        << rd_kafka_err2name(error->code) << ": " << error->reason;
    EXPECT_NE(error->reason.find("certificate"), std::string::npos) << error->reason;

    // The same client with the trusted certificate gets in.
    const auto trusted = connection_error(ssl_settings(source_cluster(), true), 30s);
    EXPECT_FALSE(trusted) << trusted->reason;
}

TEST(TestBed, ChildProcessReportsExitCodeSignalAndLog) {
    ChildProcess ok("sh", {"-c", "echo out; echo err >&2; echo $KMIRROR_CHILD_TEST; exit 7"},
                    {{"KMIRROR_CHILD_TEST", "from-env"}});
    EXPECT_EQ(ok.wait_for(10s), 7);
    EXPECT_FALSE(ok.running());
    EXPECT_EQ(ok.log(), "out\nerr\nfrom-env\n");

    ChildProcess sleeper("sleep", {"30"});
    EXPECT_TRUE(sleeper.running());
    EXPECT_EQ(sleeper.wait_for(50ms), std::nullopt);
    sleeper.signal(SIGTERM);
    EXPECT_EQ(sleeper.wait_for(10s), 128 + SIGTERM);

    EXPECT_THROW(ChildProcess("/nonexistent/program", {}), std::runtime_error);
}

} // namespace
} // namespace kmirror::testing
