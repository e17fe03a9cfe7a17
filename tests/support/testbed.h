// Helpers for integration tests against the real Kafka clusters of tools/kafka/testbed.py.
//
// The clusters come from KMIRROR_TEST_* environment variables (tools/kafka/README.md). Without
// them every accessor throws: integration tests never skip, run them with scripts/test.sh.
//
// All helpers are synchronous, create their own short-lived librdkafka clients, throw on any
// error (KafkaError carries the librdkafka error code) and are meant for the test's main thread.
#pragma once

#include "kafka/client.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace kmirror::testing {

// ---- Clusters -----------------------------------------------------------------------------

struct ClusterEndpoints {
    std::string name;          // "source", "target", "c2", ...
    std::string plaintext;     // PLAINTEXT listener: unauthenticated super user, for setup
    std::string scram;         // SASL_PLAINTEXT listener, SCRAM-SHA-512 (also SHA-256)
    std::string ssl;           // SSL listener, client certificate required
    std::string kafka_version; // KMIRROR_TEST_<NAME>_KAFKA_VERSION, e.g. "4.1.1"; "" if unknown
};

// KMIRROR_TEST_<NAME>_BOOTSTRAP / _SCRAM_BOOTSTRAP / _SSL_BOOTSTRAP. The PLAINTEXT one is
// required (throws std::runtime_error telling to run scripts/test.sh); the others are checked
// when scram_settings / ssl_settings need them.
const ClusterEndpoints& source_cluster();
const ClusterEndpoints& target_cluster();
const ClusterEndpoints& cluster(std::string_view name); // e.g. "c2" with testbed.py --clusters 3

std::string tls_dir(); // KMIRROR_TEST_TLS_DIR: ca.pem, client.{pem,key,crt}, untrusted-client.*
std::string kafka_lib_dir();  // KMIRROR_KAFKA_LIB: the Apache Kafka jars (for running real MM2)
std::string scram_user();     // KMIRROR_TEST_SCRAM_USER (alice)
std::string scram_password(); // KMIRROR_TEST_SCRAM_PASSWORD
std::string admin_user();     // KMIRROR_TEST_ADMIN_USER (admin, a super user)
std::string admin_password(); // KMIRROR_TEST_ADMIN_PASSWORD

// prefix + "-" + current test name + "-" + random suffix; only [A-Za-z0-9._-], at most 200 chars.
std::string unique_name(std::string_view prefix);

// Two cluster aliases unique to this run, `<prefix>s<tag>` and `<prefix>t<tag>`: short, because
// they end up in topic and group names.
struct Aliases {
    std::string source;
    std::string target;
};
Aliases unique_aliases(std::string_view prefix);

// ---- Client settings (librdkafka names; append your own, later entries win) ---------------

kafka::Settings plaintext_settings(const ClusterEndpoints& cluster);
kafka::Settings scram_settings(const ClusterEndpoints& cluster, const std::string& user,
                               const std::string& password);
// The client certificate CN=alice (User:alice), or one signed by a CA the broker does not trust.
kafka::Settings ssl_settings(const ClusterEndpoints& cluster, bool trusted_client = true);

// ---- Errors -------------------------------------------------------------------------------

class KafkaError : public std::runtime_error {
public:
    KafkaError(rd_kafka_resp_err_t code, const std::string& what)
        : std::runtime_error(what), code_(code) {}
    rd_kafka_resp_err_t code() const { return code_; }

private:
    rd_kafka_resp_err_t code_;
};

// ---- Admin --------------------------------------------------------------------------------

// CreateTopics with replication factor 1, then waits until metadata shows every partition with a
// leader. Throws KafkaError on any error (including TOPIC_ALREADY_EXISTS).
void create_topic(const kafka::Settings& admin, const std::string& topic, int partitions,
                  const std::map<std::string, std::string>& configs = {});

struct AclGrant {
    rd_kafka_ResourceType_t resource = RD_KAFKA_RESOURCE_TOPIC;
    std::string name; // resource name; "kafka-cluster" for RD_KAFKA_RESOURCE_BROKER
    std::string principal = "User:alice";
    rd_kafka_AclOperation_t operation = RD_KAFKA_ACL_OPERATION_ALL;
    rd_kafka_ResourcePatternType_t pattern = RD_KAFKA_RESOURCE_PATTERN_LITERAL;
    rd_kafka_AclPermissionType_t permission = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW;
};
// CreateAcls (host "*"), then waits until DescribeAcls on the broker shows every binding, so the
// broker's authorizer already applies them. Needs a super-user connection (PLAINTEXT or admin).
void create_acls(const kafka::Settings& admin, const std::vector<AclGrant>& grants);

// ---- Records ------------------------------------------------------------------------------

using Header = std::pair<std::string, std::optional<std::string>>;

struct TestRecord {
    int32_t partition = 0; // -1 when producing: the partitioner chooses
    int64_t offset = -1;   // -1 when producing
    std::optional<std::string> key, value;
    std::vector<Header> headers; // order and duplicates are significant
    int64_t timestamp = 0;       // CreateTime in ms; 0 when producing = "now"

    friend bool operator==(const TestRecord&, const TestRecord&) = default;
};
std::ostream& operator<<(std::ostream& out, const TestRecord& record); // readable gtest output

// "" if equal, else the sizes and the first differing record of each (instead of gtest printing
// thousands of records): ASSERT_TRUE(actual == expected) << describe_difference(expected, actual);
std::string describe_difference(const std::vector<TestRecord>& expected,
                                const std::vector<TestRecord>& actual);

// Deterministic for a given seed except timestamps (within the last hour, so retention never
// deletes them): null/empty/binary keys and values, 0-3 headers incl. null values and duplicate
// names, partitions spread over [0, partitions).
std::vector<TestRecord> make_records(int count, int partitions, std::string_view seed);

// Produces to the explicit partitions (acks=all), flushes and throws KafkaError with the first
// delivery error. Returns the records as written: broker offsets filled in, timestamps as stored,
// sorted by (partition, offset) -- i.e. exactly what consume_all reads back from a fresh topic.
std::vector<TestRecord> produce(const kafka::Settings& settings, const std::string& topic,
                                const std::vector<TestRecord>& records);

enum class Isolation { read_uncommitted, read_committed };

// Assigns every partition from the beginning (no group, no commits) and reads until each
// partition's position reaches the high watermark taken at the start. Returns records in
// (partition, offset) order. Throws KafkaError on a consume error or when the timeout passes
// first (e.g. read_committed with a transaction still open).
std::vector<TestRecord> consume_all(const kafka::Settings& settings, const std::string& topic,
                                    std::chrono::milliseconds timeout,
                                    Isolation isolation = Isolation::read_uncommitted);
// Same, with isolation as a flag: consume_all(settings, topic, 30s, /*read_committed=*/true).
inline std::vector<TestRecord> consume_all(const kafka::Settings& settings,
                                           const std::string& topic,
                                           std::chrono::milliseconds timeout, bool read_committed) {
    return consume_all(settings, topic, timeout,
                       read_committed ? Isolation::read_committed : Isolation::read_uncommitted);
}

// partition -> (low, high) watermark, from the broker.
std::map<int32_t, std::pair<int64_t, int64_t>> watermarks(const kafka::Settings& settings,
                                                          const std::string& topic);

// ---- Connectivity probes ------------------------------------------------------------------

struct ClientError {
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string reason;
};

// Creates a client and requests metadata until it succeeds (returns nullopt) or the client
// reports an error other than "all brokers down" (returns it). Throws KafkaError if neither
// happens before the timeout. librdkafka logging is silenced for this client.
std::optional<ClientError> connection_error(const kafka::Settings& settings,
                                            std::chrono::milliseconds timeout);

// ---- Waiting ------------------------------------------------------------------------------

// Polls condition() until it returns true (-> true) or the timeout passes (-> false). The only
// place tests wait: no bare sleeps.
template <class F>
bool eventually(F&& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(100)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) {
            return true;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(step, deadline - now));
    }
}

// ---- Child processes ----------------------------------------------------------------------

// A program run by a test (kmirror, a real MirrorMaker 2 JVM, ...). stdout and stderr go to a log
// file (under KMIRROR_TEST_STATE_DIR/logs, or the temp dir). The child gets its own process group
// and PR_SET_PDEATHSIG=SIGKILL, so it dies with the test binary; the destructor SIGKILLs the
// group and reaps. If the current test has failed, the destructor prints the log's tail.
// Owned by the thread that created it (the parent-death signal is tied to that thread).
class ChildProcess {
public:
    // program is looked up in PATH if it has no '/'. extra_env overrides the inherited env.
    // Throws std::runtime_error if the program cannot be started.
    ChildProcess(std::string program, std::vector<std::string> args,
                 std::map<std::string, std::string> extra_env = {}, std::string log_path = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;

    int pid() const { return pid_; }
    bool running();
    void signal(int sig); // to the child only (not its group); no-op once it has exited
    // Exit code, or 128+signal if it was killed; nullopt if still running after timeout.
    std::optional<int> wait_for(std::chrono::milliseconds timeout);
    std::string log() const; // whole log so far
    const std::string& log_path() const { return log_path_; }

private:
    void reap(bool block);
    void kill_and_reap() noexcept;

    int pid_ = -1;
    std::optional<int> exit_code_;
    std::string program_;
    std::string log_path_;
};

// ---- Apache Kafka's own Java clients and tools --------------------------------------------

// librdkafka before 2.6.1 repeats the client nonce in the SCRAM client-final-message
// (confluentinc/librdkafka#4895); Kafka 4.x compares the nonce strictly and answers "invalid
// credentials". So with Debian 12's librdkafka 2.0.2 no librdkafka client can log in over SCRAM
// to the test bed (or to any Kafka 4.x broker). True when the linked librdkafka is fixed.
bool librdkafka_scram_works_with_kafka4();
// True when the linked librdkafka can log in over SCRAM to `cluster`: a fixed librdkafka, or a
// cluster running Kafka 3.x (testbed.py --kafka-3.9 NAME), which accepts librdkafka 2.0.2.
bool librdkafka_scram_works(const ClusterEndpoints& cluster);

// Starts `java <small-heap fast-start options> -cp KMIRROR_KAFKA_LIB/* main_class args...`
// (java from KMIRROR_TEST_JAVA, else PATH), quiet log4j2 config, output to the ChildProcess log.
ChildProcess kafka_tool(const std::string& main_class, const std::vector<std::string>& args);

// Writes Java client properties to a fresh file under KMIRROR_TEST_STATE_DIR (or the temp dir)
// and returns its path, e.g. for --command-config.
std::string write_java_properties(const std::map<std::string, std::string>& properties);

// Java client properties equivalent to scram_settings() (without bootstrap.servers).
std::map<std::string, std::string> java_scram_properties(const std::string& user,
                                                         const std::string& password);

} // namespace kmirror::testing
