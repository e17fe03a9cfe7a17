#include "support/testbed.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <random>
#include <sstream>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace kmirror::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kAdminTimeoutMs = 30000;
constexpr auto kMetadataWait = milliseconds(30000);

const char* const kHowToRun =
    "integration tests need running Kafka clusters. Run them with scripts/test.sh, or wrap a "
    "single test binary: python3 tools/kafka/testbed.py exec -- build/tests/integration/"
    "integration_tests. To use your own clusters, export KMIRROR_TEST_* as described in "
    "tools/kafka/README.md";

// ---- environment ----------------------------------------------------------------------------

std::optional<std::string> env(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') {
        return std::nullopt;
    }
    return std::string(v);
}

std::string required_env(const std::string& name) {
    auto v = env(name);
    if (!v) {
        throw std::runtime_error("environment variable " + name + " is not set: " + kHowToRun);
    }
    return *v;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

// ---- librdkafka plumbing ----------------------------------------------------------------------

struct TopicDeleter {
    void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
};
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

struct AclBindingDeleter {
    void operator()(rd_kafka_AclBinding_t* p) const { rd_kafka_AclBinding_destroy(p); }
};
using AclBindingPtr = std::unique_ptr<rd_kafka_AclBinding_t, AclBindingDeleter>;

std::string bootstrap_of(const kafka::Settings& settings) {
    std::string bootstrap = "?";
    for (const auto& [k, v] : settings) {
        if (k == "bootstrap.servers" || k == "metadata.broker.list") {
            bootstrap = v;
        }
    }
    return bootstrap;
}

kafka::ClientSpec spec_for(const kafka::Settings& settings, std::string role) {
    kafka::ClientSpec spec;
    spec.cluster = bootstrap_of(settings);
    spec.role = std::move(role);
    spec.settings = settings;
    return spec;
}

kafka::Settings with_defaults(kafka::Settings defaults, const kafka::Settings& settings) {
    defaults.insert(defaults.end(), settings.begin(), settings.end());
    return defaults;
}

kafka::ConfPtr conf_or_throw(const kafka::ClientSpec& spec) {
    auto conf = kafka::make_conf(spec);
    if (!conf) {
        throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, conf.error().message);
    }
    return std::move(conf).value();
}

kafka::HandlePtr client_or_throw(kafka::ClientType type, kafka::ConfPtr conf,
                                 const kafka::ClientSpec& spec) {
    auto rk = kafka::make_client(type, std::move(conf), spec);
    if (!rk) {
        throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, rk.error().message);
    }
    return std::move(rk).value();
}

kafka::HandlePtr admin_client(const kafka::Settings& settings) {
    auto spec = spec_for(settings, "test-admin");
    return client_or_throw(kafka::ClientType::producer, conf_or_throw(spec), spec);
}

// A consumer without a group: assign() only, no commits.
kafka::HandlePtr plain_consumer(const kafka::Settings& settings, const char* role,
                                kafka::Settings extra = {}) {
    kafka::Settings all = with_defaults({{"enable.auto.commit", "false"},
                                         {"enable.auto.offset.store", "false"},
                                         {"auto.offset.reset", "earliest"}},
                                        settings);
    all.insert(all.end(), extra.begin(), extra.end());
    auto spec = spec_for(all, role);
    return client_or_throw(kafka::ClientType::consumer, conf_or_throw(spec), spec);
}

std::string where(const kafka::Settings& settings, const std::string& topic) {
    return "topic '" + topic + "' on " + bootstrap_of(settings);
}

kafka::AdminOptionsPtr admin_options(rd_kafka_t* rk, rd_kafka_admin_op_t op) {
    kafka::AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
    char errstr[512];
    if (rd_kafka_AdminOptions_set_request_timeout(options.get(), kAdminTimeoutMs, errstr,
                                                  sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
    }
    return options;
}

// Waits for the one result event of an admin call on queue; throws on a request-level error.
kafka::EventPtr admin_result(rd_kafka_queue_t* queue, const std::string& what) {
    kafka::EventPtr event(rd_kafka_queue_poll(queue, kAdminTimeoutMs + 10000));
    if (!event) {
        throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, what + ": no answer from the admin API");
    }
    if (auto err = rd_kafka_event_error(event.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw KafkaError(err, what + ": " + rd_kafka_event_error_string(event.get()));
    }
    return event;
}

struct TopicMetadata {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::vector<int32_t> partitions;
    bool all_have_leaders = false;
};

TopicMetadata topic_metadata(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
    TopicPtr rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
    const rd_kafka_metadata_t* raw = nullptr;
    TopicMetadata result;
    result.err = rd_kafka_metadata(rk, 0, rkt.get(), &raw, timeout_ms);
    if (result.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return result;
    }
    kafka::MetadataPtr md(raw);
    result.err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    for (int t = 0; t < md->topic_cnt; ++t) {
        const auto& mt = md->topics[t];
        if (topic != mt.topic) {
            continue;
        }
        result.err = mt.err;
        result.all_have_leaders = mt.partition_cnt > 0;
        for (int p = 0; p < mt.partition_cnt; ++p) {
            result.partitions.push_back(mt.partitions[p].id);
            result.all_have_leaders = result.all_have_leaders && mt.partitions[p].leader >= 0 &&
                                      mt.partitions[p].err == RD_KAFKA_RESP_ERR_NO_ERROR;
        }
    }
    std::sort(result.partitions.begin(), result.partitions.end());
    return result;
}

// Partitions of an existing topic, waiting briefly for metadata; throws if the topic is missing.
std::vector<int32_t> partitions_of(rd_kafka_t* rk, const kafka::Settings& settings,
                                   const std::string& topic) {
    TopicMetadata md;
    eventually(
        [&] {
            md = topic_metadata(rk, topic, 5000);
            const bool definitive = md.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                                    md.err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
            return definitive || (md.err == RD_KAFKA_RESP_ERR_NO_ERROR && md.all_have_leaders);
        },
        milliseconds(10000), milliseconds(200));
    if (md.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw KafkaError(md.err, "metadata for " + where(settings, topic) + ": " +
                                     rd_kafka_err2str(md.err));
    }
    if (md.partitions.empty() || !md.all_have_leaders) {
        throw KafkaError(RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                         "metadata for " + where(settings, topic) + ": partitions without leader");
    }
    return md.partitions;
}

// ---- bytes ------------------------------------------------------------------------------------

std::optional<std::string> bytes(const void* data, size_t size) {
    if (data == nullptr) {
        return std::nullopt;
    }
    return std::string(static_cast<const char*>(data), size);
}

std::string printable(const std::optional<std::string>& s, size_t limit = 40) {
    if (!s) {
        return "null";
    }
    std::string out = "\"";
    for (size_t i = 0; i < s->size() && i < limit; ++i) {
        auto c = static_cast<unsigned char>((*s)[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    out += '"';
    if (s->size() > limit) {
        out += "...(" + std::to_string(s->size()) + " bytes)";
    }
    return out;
}

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ULL;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

std::string random_bytes(std::mt19937_64& rng, size_t size, bool binary) {
    std::string out(size, '\0');
    for (char& c : out) {
        c = binary ? static_cast<char>(rng() & 0xff) : static_cast<char>('a' + rng() % 26);
    }
    return out;
}

int64_t now_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

// ---- clusters -----------------------------------------------------------------------------------

const ClusterEndpoints& cluster(std::string_view name) {
    static std::mutex mutex;
    static std::map<std::string, ClusterEndpoints, std::less<>> cache;
    std::lock_guard lock(mutex);
    if (auto it = cache.find(name); it != cache.end()) {
        return it->second;
    }
    const std::string prefix = "KMIRROR_TEST_" + upper(name) + "_";
    ClusterEndpoints c;
    c.name = std::string(name);
    c.plaintext = required_env(prefix + "BOOTSTRAP");
    c.scram = env(prefix + "SCRAM_BOOTSTRAP").value_or("");
    c.kafka_version = env(prefix + "KAFKA_VERSION").value_or("");
    c.ssl = env(prefix + "SSL_BOOTSTRAP").value_or("");
    return cache.emplace(c.name, std::move(c)).first->second;
}

const ClusterEndpoints& source_cluster() {
    return cluster("source");
}
const ClusterEndpoints& target_cluster() {
    return cluster("target");
}

std::string tls_dir() {
    return required_env("KMIRROR_TEST_TLS_DIR");
}
std::string kafka_lib_dir() {
    return required_env("KMIRROR_KAFKA_LIB");
}
std::string scram_user() {
    return env("KMIRROR_TEST_SCRAM_USER").value_or("alice");
}
std::string scram_password() {
    return env("KMIRROR_TEST_SCRAM_PASSWORD").value_or("alice-secret");
}
std::string admin_user() {
    return env("KMIRROR_TEST_ADMIN_USER").value_or("admin");
}
std::string admin_password() {
    return env("KMIRROR_TEST_ADMIN_PASSWORD").value_or("admin-secret");
}

Aliases unique_aliases(std::string_view prefix) {
    std::random_device rd;
    const std::string tag = std::to_string(rd() % 100000000);
    return {std::string(prefix) + "s" + tag, std::string(prefix) + "t" + tag};
}

std::string unique_name(std::string_view prefix) {
    static std::mt19937_64 rng{std::random_device{}()};
    static std::mutex mutex;
    std::string test = "no-test";
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
        test = std::string(info->test_suite_name()) + "-" + info->name();
    }
    char suffix[17];
    {
        std::lock_guard lock(mutex);
        std::snprintf(suffix, sizeof suffix, "%08llx",
                      static_cast<unsigned long long>(rng() & 0xffffffffULL));
    }
    constexpr size_t kMax = 200;
    std::string head(prefix);
    if (head.size() + test.size() + 2 + 8 > kMax) {
        test.resize(kMax > head.size() + 10 + 8 ? kMax - head.size() - 10 : 8);
    }
    std::string name = head + "-" + test + "-" + suffix;
    for (char& c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            c = '-';
        }
    }
    return name.substr(0, kMax);
}

// ---- settings -----------------------------------------------------------------------------------

kafka::Settings plaintext_settings(const ClusterEndpoints& cluster) {
    return {{"bootstrap.servers", cluster.plaintext}};
}

kafka::Settings scram_settings(const ClusterEndpoints& cluster, const std::string& user,
                               const std::string& password) {
    if (cluster.scram.empty()) {
        throw std::runtime_error("cluster '" + cluster.name + "' has no SCRAM listener: set " +
                                 "KMIRROR_TEST_" + upper(cluster.name) + "_SCRAM_BOOTSTRAP. " +
                                 kHowToRun);
    }
    return {{"bootstrap.servers", cluster.scram},
            {"security.protocol", "SASL_PLAINTEXT"},
            {"sasl.mechanisms", env("KMIRROR_TEST_SCRAM_MECHANISM").value_or("SCRAM-SHA-512")},
            {"sasl.username", user},
            {"sasl.password", password}};
}

kafka::Settings ssl_settings(const ClusterEndpoints& cluster, bool trusted_client) {
    if (cluster.ssl.empty()) {
        throw std::runtime_error("cluster '" + cluster.name + "' has no SSL listener: set " +
                                 "KMIRROR_TEST_" + upper(cluster.name) + "_SSL_BOOTSTRAP. " +
                                 kHowToRun);
    }
    const std::string dir = tls_dir();
    const std::string client = trusted_client ? "client" : "untrusted-client";
    return {{"bootstrap.servers", cluster.ssl},
            {"security.protocol", "SSL"},
            {"ssl.ca.location", dir + "/ca.pem"},
            {"ssl.certificate.location", dir + "/" + client + ".crt"},
            {"ssl.key.location", dir + "/" + client + ".key"},
            {"ssl.endpoint.identification.algorithm", "https"}};
}

// ---- admin --------------------------------------------------------------------------------------

void create_topic(const kafka::Settings& admin, const std::string& topic, int partitions,
                  const std::map<std::string, std::string>& configs) {
    auto rk = admin_client(admin);
    const std::string what = "creating " + where(admin, topic);
    char errstr[512];
    kafka::NewTopicPtr new_topic(
        rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, errstr, sizeof errstr));
    if (!new_topic) {
        throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, what + ": " + errstr);
    }
    for (const auto& [key, value] : configs) {
        if (auto err = rd_kafka_NewTopic_set_config(new_topic.get(), key.c_str(), value.c_str());
            err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw KafkaError(err, what + ": config " + key + ": " + rd_kafka_err2str(err));
        }
    }
    auto options = admin_options(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
    if (rd_kafka_AdminOptions_set_operation_timeout(options.get(), kAdminTimeoutMs, errstr,
                                                    sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
    }
    kafka::QueuePtr queue(rd_kafka_queue_new(rk.get()));
    rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
    rd_kafka_CreateTopics(rk.get(), topics, 1, options.get(), queue.get());
    auto event = admin_result(queue.get(), what);
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    for (size_t i = 0; i < count; ++i) {
        if (auto err = rd_kafka_topic_result_error(results[i]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* msg = rd_kafka_topic_result_error_string(results[i]);
            throw KafkaError(err, what + ": " + rd_kafka_err2name(err) + ": " +
                                      (msg != nullptr ? msg : rd_kafka_err2str(err)));
        }
    }
    TopicMetadata md;
    const bool visible = eventually(
        [&] {
            md = topic_metadata(rk.get(), topic, 5000);
            return md.err == RD_KAFKA_RESP_ERR_NO_ERROR && md.all_have_leaders &&
                   static_cast<int>(md.partitions.size()) == partitions;
        },
        kMetadataWait, milliseconds(100));
    if (!visible) {
        throw KafkaError(md.err, what + ": created, but metadata does not show " +
                                     std::to_string(partitions) + " partitions with leaders (" +
                                     rd_kafka_err2str(md.err) + ")");
    }
}

void create_acls(const kafka::Settings& admin, const std::vector<AclGrant>& grants) {
    auto rk = admin_client(admin);
    char errstr[512];
    std::vector<AclBindingPtr> owned;
    std::vector<rd_kafka_AclBinding_t*> bindings;
    for (const auto& g : grants) {
        AclBindingPtr b(rd_kafka_AclBinding_new(g.resource, g.name.c_str(), g.pattern,
                                                g.principal.c_str(), "*", g.operation, g.permission,
                                                errstr, sizeof errstr));
        if (!b) {
            throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG,
                             "ACL for " + g.principal + " on " + g.name + ": " + errstr);
        }
        bindings.push_back(b.get());
        owned.push_back(std::move(b));
    }
    const std::string what = "creating ACLs on " + bootstrap_of(admin);
    {
        auto options = admin_options(rk.get(), RD_KAFKA_ADMIN_OP_CREATEACLS);
        kafka::QueuePtr queue(rd_kafka_queue_new(rk.get()));
        rd_kafka_CreateAcls(rk.get(), bindings.data(), bindings.size(), options.get(), queue.get());
        auto event = admin_result(queue.get(), what);
        size_t count = 0;
        const rd_kafka_acl_result_t** results =
            rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(event.get()), &count);
        for (size_t i = 0; i < count; ++i) {
            if (const rd_kafka_error_t* error = rd_kafka_acl_result_error(results[i])) {
                throw KafkaError(rd_kafka_error_code(error),
                                 what + ": " + rd_kafka_error_string(error));
            }
        }
    }
    // The broker answers DescribeAcls from its authorizer's view: once every binding shows up
    // there, it is enforced.
    for (const auto& g : grants) {
        AclBindingPtr filter(rd_kafka_AclBindingFilter_new(g.resource, g.name.c_str(), g.pattern,
                                                           g.principal.c_str(), "*", g.operation,
                                                           g.permission, errstr, sizeof errstr));
        if (!filter) {
            throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
        }
        const bool applied = eventually(
            [&] {
                auto options = admin_options(rk.get(), RD_KAFKA_ADMIN_OP_DESCRIBEACLS);
                kafka::QueuePtr queue(rd_kafka_queue_new(rk.get()));
                rd_kafka_DescribeAcls(rk.get(), filter.get(), options.get(), queue.get());
                auto event = admin_result(queue.get(), "describing ACLs");
                size_t count = 0;
                rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(event.get()),
                                                  &count);
                return count > 0;
            },
            kMetadataWait, milliseconds(100));
        if (!applied) {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, what + ": ACL for " + g.principal +
                                                               " on " + g.name +
                                                               " does not show up in DescribeAcls");
        }
    }
}

// ---- records ------------------------------------------------------------------------------------

std::ostream& operator<<(std::ostream& out, const TestRecord& r) {
    out << "{p=" << r.partition << " off=" << r.offset << " ts=" << r.timestamp
        << " key=" << printable(r.key) << " value=" << printable(r.value) << " headers=[";
    for (size_t i = 0; i < r.headers.size(); ++i) {
        out << (i ? ", " : "") << r.headers[i].first << "=" << printable(r.headers[i].second);
    }
    return out << "]}";
}

std::string describe_difference(const std::vector<TestRecord>& expected,
                                const std::vector<TestRecord>& actual) {
    if (expected == actual) {
        return "";
    }
    std::ostringstream out;
    out << "expected " << expected.size() << " records, got " << actual.size() << ". ";
    const size_t n = std::min(expected.size(), actual.size());
    for (size_t i = 0; i < n; ++i) {
        if (!(expected[i] == actual[i])) {
            out << "First difference at index " << i << ":\n  expected " << expected[i]
                << "\n  actual   " << actual[i];
            return out.str();
        }
    }
    out << "The first " << n << " are equal; next "
        << (expected.size() > n ? "expected " : "actual ")
        << (expected.size() > n ? expected[n] : actual[n]);
    return out.str();
}

std::vector<TestRecord> make_records(int count, int partitions, std::string_view seed) {
    if (partitions < 1) {
        throw std::invalid_argument("make_records: partitions must be >= 1");
    }
    std::mt19937_64 rng(fnv1a(seed));
    const int64_t base = now_ms() - 3'600'000;
    std::vector<TestRecord> out;
    out.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        TestRecord r;
        r.partition = static_cast<int32_t>(rng() % static_cast<uint64_t>(partitions));
        switch (i % 10) {
        case 0:
            r.key = std::nullopt;
            break;
        case 1:
            r.key = "";
            break;
        case 2:
            r.key = random_bytes(rng, 1 + rng() % 16, true);
            break;
        default:
            r.key = std::string(seed) + "-key-" + std::to_string(i);
            break;
        }
        if (i % 17 == 3) {
            r.value = std::nullopt;
        } else if (i % 19 == 4) {
            r.value = "";
        } else {
            const size_t size = (i % 97 == 5) ? 20000 + rng() % 20000 : rng() % 1024;
            r.value = random_bytes(rng, size, i % 3 == 0);
        }
        const int headers = static_cast<int>(rng() % 4);
        for (int h = 0; h < headers; ++h) {
            Header header{"h" + std::to_string(rng() % 3), std::nullopt}; // duplicates happen
            if (rng() % 6 != 0) {
                header.second =
                    rng() % 5 == 0 ? std::string() : random_bytes(rng, rng() % 32, h == 1);
            }
            r.headers.push_back(std::move(header));
        }
        r.timestamp = base + static_cast<int64_t>(rng() % 3'600'000);
        out.push_back(std::move(r));
    }
    return out;
}

namespace {

struct Delivery {
    const std::vector<TestRecord>* input = nullptr;
    std::vector<TestRecord> written;
    size_t delivered = 0;
    rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string first_error_text;
};

void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* opaque) {
    auto* d = static_cast<Delivery*>(opaque);
    ++d->delivered;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (d->first_error == RD_KAFKA_RESP_ERR_NO_ERROR) {
            d->first_error = m->err;
            d->first_error_text = rd_kafka_message_errstr(m);
        }
        return;
    }
    const auto index = reinterpret_cast<uintptr_t>(m->_private);
    TestRecord r = (*d->input)[index];
    r.partition = m->partition;
    r.offset = m->offset;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const int64_t ts = rd_kafka_message_timestamp(m, &type);
    if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
        r.timestamp = ts;
    }
    d->written.push_back(std::move(r));
}

bool by_position(const TestRecord& a, const TestRecord& b) {
    return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
}

} // namespace

std::vector<TestRecord> produce(const kafka::Settings& settings, const std::string& topic,
                                const std::vector<TestRecord>& records) {
    const std::string what = "producing to " + where(settings, topic);
    // One request in flight: a retried request (e.g. the leader of a topic created moments ago
    // not known yet) must not land after later ones, or the records the tests compare come back
    // reordered. Not idempotent, so tests of ACL refusals still see the topic refused.
    auto spec = spec_for(with_defaults({{"acks", "all"},
                                        {"linger.ms", "5"},
                                        {"max.in.flight.requests.per.connection", "1"},
                                        {"message.timeout.ms", "30000"}},
                                       settings),
                         "test-producer");
    auto conf = conf_or_throw(spec);
    Delivery delivery;
    delivery.input = &records;
    delivery.written.reserve(records.size());
    rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
    rd_kafka_conf_set_opaque(conf.get(), &delivery);
    auto rk = client_or_throw(kafka::ClientType::producer, std::move(conf), spec);

    for (size_t i = 0; i < records.size(); ++i) {
        const TestRecord& r = records[i];
        kafka::HeadersPtr headers(rd_kafka_headers_new(r.headers.size()));
        for (const auto& [name, value] : r.headers) {
            rd_kafka_header_add(headers.get(), name.data(), static_cast<ssize_t>(name.size()),
                                value ? value->data() : nullptr, value ? value->size() : 0);
        }
        void* key = r.key ? const_cast<char*>(r.key->data()) : nullptr;
        const size_t key_size = r.key ? r.key->size() : 0;
        void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
        const size_t value_size = r.value ? r.value->size() : 0;
        for (;;) {
            const rd_kafka_resp_err_t err = rd_kafka_producev(
                rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(r.partition),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
                RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_TIMESTAMP(r.timestamp),
                RD_KAFKA_V_HEADERS(headers.get()),
                RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(i))),
                RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                (void)headers.release(); // owned by the message now
                break;
            }
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                throw KafkaError(err, what + ": record " + std::to_string(i) + ": " +
                                          rd_kafka_err2str(err));
            }
            rd_kafka_poll(rk.get(), 100);
        }
        rd_kafka_poll(rk.get(), 0);
    }
    const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk.get(), 60000);
    if (delivery.first_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw KafkaError(delivery.first_error, what + ": " +
                                                   rd_kafka_err2name(delivery.first_error) + ": " +
                                                   delivery.first_error_text);
    }
    if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR || delivery.delivered != records.size()) {
        throw KafkaError(flushed, what + ": only " + std::to_string(delivery.delivered) + " of " +
                                      std::to_string(records.size()) + " records delivered");
    }
    std::sort(delivery.written.begin(), delivery.written.end(), by_position);
    return std::move(delivery.written);
}

std::map<int32_t, std::pair<int64_t, int64_t>> watermarks(const kafka::Settings& settings,
                                                          const std::string& topic) {
    auto rk = plain_consumer(settings, "test-watermarks");
    std::map<int32_t, std::pair<int64_t, int64_t>> out;
    for (int32_t p : partitions_of(rk.get(), settings, topic)) {
        int64_t low = -1;
        int64_t high = -1;
        if (auto err =
                rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &low, &high, 10000);
            err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw KafkaError(err, "watermarks of " + where(settings, topic) + " partition " +
                                      std::to_string(p) + ": " + rd_kafka_err2str(err));
        }
        out[p] = {low, high};
    }
    return out;
}

std::vector<TestRecord> consume_all(const kafka::Settings& settings, const std::string& topic,
                                    std::chrono::milliseconds timeout, Isolation isolation) {
    const auto deadline = steady_clock::now() + timeout;
    const std::string what = "consuming " + where(settings, topic);
    const auto marks = watermarks(settings, topic);
    auto rk = plain_consumer(
        settings, "test-consumer",
        {{"enable.partition.eof", "true"},
         {"isolation.level",
          isolation == Isolation::read_committed ? "read_committed" : "read_uncommitted"}});
    std::map<int32_t, int64_t> position; // next offset to read, per partition still pending
    for (const auto& [p, lh] : marks) {
        if (lh.second > lh.first) {
            position[p] = lh.first;
        }
    }
    std::vector<TestRecord> out;
    // The legacy per-partition fetch API: rd_kafka_assign() needs a group.id in librdkafka 2.0,
    // and a group would need group ACLs for restricted users.
    kafka::QueuePtr queue(rd_kafka_queue_new(rk.get()));
    TopicPtr rkt(rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr));
    struct Fetchers {
        rd_kafka_topic_t* rkt;
        std::vector<int32_t> started;
        ~Fetchers() {
            for (int32_t p : started) {
                rd_kafka_consume_stop(rkt, p);
            }
        }
    } fetchers{rkt.get(), {}};
    for (const auto& [p, start] : position) {
        if (rd_kafka_consume_start_queue(rkt.get(), p, start, queue.get()) == -1) {
            const auto err = rd_kafka_last_error();
            throw KafkaError(err, what + ": cannot start partition " + std::to_string(p) + ": " +
                                      rd_kafka_err2str(err));
        }
        fetchers.started.push_back(p);
    }
    auto done = [&] {
        return std::all_of(position.begin(), position.end(), [&](const auto& pos) {
            return pos.second >= marks.at(pos.first).second;
        });
    };
    while (!done()) {
        if (steady_clock::now() >= deadline) {
            std::string state;
            for (const auto& [p, next] : position) {
                state += " p" + std::to_string(p) + "@" + std::to_string(next) + "/" +
                         std::to_string(marks.at(p).second);
            }
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT,
                             what + ": high watermark not reached within " +
                                 std::to_string(timeout.count()) + " ms (position/high:" + state +
                                 ")");
        }
        kafka::MessagePtr m(rd_kafka_consume_queue(queue.get(), 100));
        if (!m) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            auto it = position.find(m->partition);
            if (it != position.end()) {
                it->second = std::max(it->second, m->offset);
            }
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw KafkaError(m->err, what + ": " + rd_kafka_err2name(m->err) + ": " +
                                         rd_kafka_message_errstr(m.get()));
        }
        auto it = position.find(m->partition);
        if (it == position.end() || m->offset >= marks.at(m->partition).second) {
            continue; // written after we started: not part of this read
        }
        it->second = std::max(it->second, m->offset + 1);
        TestRecord r;
        r.partition = m->partition;
        r.offset = m->offset;
        r.key = bytes(m->key, m->key_len);
        r.value = bytes(m->payload, m->len);
        rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        r.timestamp = rd_kafka_message_timestamp(m.get(), &type);
        rd_kafka_headers_t* headers = nullptr; // owned by the message
        if (rd_kafka_message_headers(m.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* name = nullptr;
            const void* value = nullptr;
            size_t size = 0;
            for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                               RD_KAFKA_RESP_ERR_NO_ERROR;
                 ++i) {
                r.headers.emplace_back(name, bytes(value, size));
            }
        }
        out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), by_position);
    return out;
}

// ---- connectivity probes --------------------------------------------------------------------

namespace {

struct ProbeErrors {
    std::mutex mutex;
    std::deque<ClientError> errors;
};

void on_probe_error(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
    auto* probe = static_cast<ProbeErrors*>(opaque);
    std::lock_guard lock(probe->mutex);
    probe->errors.push_back({static_cast<rd_kafka_resp_err_t>(err), reason});
}

void silent_log(const rd_kafka_t* /*rk*/, int /*level*/, const char* /*fac*/, const char* /*buf*/) {
}

} // namespace

std::optional<ClientError> connection_error(const kafka::Settings& settings,
                                            std::chrono::milliseconds timeout) {
    auto spec = spec_for(settings, "test-probe");
    auto conf = conf_or_throw(spec);
    ProbeErrors probe;
    rd_kafka_conf_set_error_cb(conf.get(), on_probe_error);
    rd_kafka_conf_set_log_cb(conf.get(), silent_log);
    rd_kafka_conf_set_opaque(conf.get(), &probe);
    auto rk = client_or_throw(kafka::ClientType::producer, std::move(conf), spec);
    const auto deadline = steady_clock::now() + timeout;
    while (steady_clock::now() < deadline) {
        const rd_kafka_metadata_t* raw = nullptr;
        if (rd_kafka_metadata(rk.get(), 0, nullptr, &raw, 500) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            kafka::MetadataPtr md(raw);
            return std::nullopt;
        }
        rd_kafka_poll(rk.get(), 0); // serves error_cb
        std::lock_guard lock(probe.mutex);
        while (!probe.errors.empty()) {
            ClientError e = std::move(probe.errors.front());
            probe.errors.pop_front();
            if (e.code != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
                return e;
            }
        }
    }
    throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, "connecting to " + bootstrap_of(settings) +
                                                       ": neither metadata nor an error "
                                                       "within " +
                                                       std::to_string(timeout.count()) + " ms");
}

// ---- ChildProcess -------------------------------------------------------------------------------

namespace {

std::string resolve_program(const std::string& program, const std::string& path_env) {
    if (program.find('/') != std::string::npos) {
        return program;
    }
    std::stringstream dirs(path_env);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    throw std::runtime_error("cannot start '" + program + "': not found in PATH (" + path_env +
                             ")");
}

std::string default_log_path(const std::string& program) {
    namespace fs = std::filesystem;
    static std::atomic<int> counter{0};
    fs::path dir;
    if (auto state = env("KMIRROR_TEST_STATE_DIR")) {
        dir = fs::path(*state) / "logs";
    } else {
        dir = fs::temp_directory_path() / ("kmirror-test-logs-" + std::to_string(::getpid()));
    }
    fs::create_directories(dir);
    return (dir / (fs::path(program).filename().string() + "-" + std::to_string(::getpid()) + "-" +
                   std::to_string(counter++) + ".log"))
        .string();
}

std::string last_lines(const std::string& text, size_t lines) {
    size_t pos = text.size();
    for (size_t n = 0; pos > 0 && n <= lines;) {
        --pos;
        if (text[pos] == '\n') {
            ++n;
        }
    }
    return text.substr(pos);
}

} // namespace

ChildProcess::ChildProcess(std::string program, std::vector<std::string> args,
                           std::map<std::string, std::string> extra_env, std::string log_path)
    : program_(std::move(program)),
      log_path_(log_path.empty() ? default_log_path(program_) : std::move(log_path)) {
    // Everything the child needs is prepared here: between fork and exec only async-signal-safe
    // calls are allowed (librdkafka threads may exist in this process).
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        if (extra_env.find(std::string(name)) == extra_env.end()) {
            env_strings.emplace_back(entry);
        }
    }
    for (const auto& [k, v] : extra_env) {
        env_strings.push_back(k + "=" + v);
    }
    std::string path_env = "/usr/local/bin:/usr/bin:/bin";
    if (auto it = extra_env.find("PATH"); it != extra_env.end()) {
        path_env = it->second;
    } else if (auto p = env("PATH")) {
        path_env = *p;
    }
    const std::string resolved = resolve_program(program_, path_env);
    std::vector<std::string> argv_strings{program_};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& s : env_strings) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);

    const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        throw std::runtime_error("cannot open log " + log_path_ + ": " + std::strerror(errno));
    }
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int status_pipe[2];
    if (null_fd < 0 || ::pipe2(status_pipe, O_CLOEXEC) != 0) {
        const int e = errno;
        ::close(log_fd);
        if (null_fd >= 0) {
            ::close(null_fd);
        }
        throw std::runtime_error(std::string("cannot prepare child process: ") + std::strerror(e));
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execve(resolved.c_str(), argv.data(), envp.data());
        const int e = errno;
        [[maybe_unused]] auto n = ::write(status_pipe[1], &e, sizeof e);
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(status_pipe[1]);
    ::close(log_fd);
    ::close(null_fd);
    if (pid < 0) {
        ::close(status_pipe[0]);
        throw std::runtime_error("fork failed: " + std::string(std::strerror(fork_errno)));
    }
    int exec_errno = 0;
    ssize_t n = 0;
    do {
        n = ::read(status_pipe[0], &exec_errno, sizeof exec_errno);
    } while (n < 0 && errno == EINTR);
    ::close(status_pipe[0]);
    pid_ = pid;
    if (n == static_cast<ssize_t>(sizeof exec_errno)) {
        reap(true);
        pid_ = -1;
        throw std::runtime_error("cannot start '" + resolved + "': " + std::strerror(exec_errno));
    }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exit_code_(other.exit_code_),
      program_(std::move(other.program_)), log_path_(std::move(other.log_path_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        pid_ = std::exchange(other.pid_, -1);
        exit_code_ = other.exit_code_;
        program_ = std::move(other.program_);
        log_path_ = std::move(other.log_path_);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    const bool was_running = pid_ > 0 && !exit_code_;
    kill_and_reap();
    if (pid_ > 0 && ::testing::Test::HasFailure()) {
        std::fprintf(stderr, "---- %s (pid %d, %s) log %s, last lines:\n%s\n---- end of log\n",
                     program_.c_str(), pid_, was_running ? "killed by the test" : "exited",
                     log_path_.c_str(), last_lines(log(), 60).c_str());
    }
}

void ChildProcess::reap(bool block) {
    if (pid_ <= 0 || exit_code_) {
        return;
    }
    // Peek without reaping, so that the process group id cannot be reused yet; then kill
    // whatever the child left behind in its group, then reap.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info,
                 WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) != 0 ||
        info.si_pid != pid_) {
        return;
    }
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

void ChildProcess::kill_and_reap() noexcept {
    if (pid_ > 0 && !exit_code_) {
        ::kill(-pid_, SIGKILL);
        reap(true);
    }
}

bool ChildProcess::running() {
    reap(false);
    return pid_ > 0 && !exit_code_;
}

void ChildProcess::signal(int sig) {
    if (running()) {
        ::kill(pid_, sig);
    }
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
    eventually([&] { return !running(); }, timeout, milliseconds(10));
    return exit_code_;
}

std::string ChildProcess::log() const {
    std::ifstream in(log_path_, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

} // namespace kmirror::testing

// ---- Java tools -------------------------------------------------------------------------------

namespace kmirror::testing {

bool librdkafka_scram_works_with_kafka4() {
    return rd_kafka_version() >= 0x020601ff;
}

bool librdkafka_scram_works(const ClusterEndpoints& cluster) {
    return librdkafka_scram_works_with_kafka4() || cluster.kafka_version.starts_with("3.");
}

ChildProcess kafka_tool(const std::string& main_class, const std::vector<std::string>& args) {
    const std::string lib = kafka_lib_dir();
    std::vector<std::string> argv = {"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                                     "-Djava.awt.headless=true"};
    if (auto log4j = env("KMIRROR_TEST_LOG4J_CONFIG")) {
        argv.push_back("-Dlog4j2.configurationFile=" + *log4j);
    }
    argv.insert(argv.end(), {"-cp", lib + "/*", main_class});
    argv.insert(argv.end(), args.begin(), args.end());
    return ChildProcess(env("KMIRROR_TEST_JAVA").value_or("java"), argv);
}

std::string write_java_properties(const std::map<std::string, std::string>& properties) {
    namespace fs = std::filesystem;
    static std::atomic<int> counter{0};
    const fs::path dir =
        env("KMIRROR_TEST_STATE_DIR")
            ? fs::path(*env("KMIRROR_TEST_STATE_DIR")) / "client-configs"
            : fs::temp_directory_path() / ("kmirror-test-configs-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path path = dir / ("client-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(counter++) + ".properties");
    std::ofstream out(path);
    for (const auto& [key, value] : properties) {
        out << key << "=" << value << "\n";
    }
    if (!out.flush()) {
        throw std::runtime_error("cannot write " + path.string());
    }
    return path.string();
}

std::map<std::string, std::string> java_scram_properties(const std::string& user,
                                                         const std::string& password) {
    return {{"security.protocol", "SASL_PLAINTEXT"},
            {"sasl.mechanism", env("KMIRROR_TEST_SCRAM_MECHANISM").value_or("SCRAM-SHA-512")},
            {"sasl.jaas.config",
             "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user +
                 "\" password=\"" + password + "\";"}};
}

} // namespace kmirror::testing
