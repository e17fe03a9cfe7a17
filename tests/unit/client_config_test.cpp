#include "kafka/client_config.h"
#include "kafka/handles.h"
#include "kafka/jaas.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::kafka {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Names = std::vector<std::string>;

Properties props(const Pairs& pairs) {
    Properties p;
    for (const auto& [k, v] : pairs) {
        p.set(k, v);
    }
    return p;
}

const char* role_name(ClientRole role) {
    switch (role) {
    case ClientRole::consumer:
        return "consumer";
    case ClientRole::producer:
        return "producer";
    case ClientRole::admin:
        return "admin";
    }
    return "?";
}

constexpr ClientRole kConsumer = ClientRole::consumer;
constexpr ClientRole kProducer = ClientRole::producer;
constexpr ClientRole kAdmin = ClientRole::admin;

// The exact security settings of the seed's connector JSONs (JSON escapes removed).
const std::string kSeedScramJaas = " org.apache.kafka.common.security.scram.ScramLoginModule "
                                   "required  username=\"USERNAME\" password=\"PASSWORD\" ; ";
const std::string kSeedIamJaas = "software.amazon.msk.auth.iam.IAMLoginModule required;";
const std::string kIamClientHandler = "software.amazon.msk.auth.iam.IAMClientCallbackHandler";
const std::string kIamLoginHandler =
    "software.amazon.msk.auth.iam.IAMOAuthBearerLoginCallbackHandler";

// Tiny stand-ins; librdkafka checks PEM contents only when a client is created.
// Without a trailing newline, because values are trimmed as Java trims them.
const std::string kCertPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
const std::string kKeyPem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";

// ---------------------------------------------------------------------------------------------
// Successful translations: exact settings (in order), ignored keys, notes, MSK IAM.

struct MapCase {
    const char* name;
    ClientRole role;
    Pairs java;
    Pairs settings;
    Names ignored = {};
    size_t notes = 0;
    std::optional<std::string> aws_msk_iam = std::nullopt;
};

void PrintTo(const MapCase& c, std::ostream* os) {
    *os << c.name;
}

class ClientConfigMapping : public testing::TestWithParam<MapCase> {};

TEST_P(ClientConfigMapping, Translates) {
    const MapCase& c = GetParam();
    auto t = translate_java_client_config(props(c.java), c.role);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->settings, c.settings);
    EXPECT_EQ(t->ignored, c.ignored);
    EXPECT_EQ(t->notes.size(), c.notes) << testing::PrintToString(t->notes);
    EXPECT_EQ(t->aws_msk_iam, c.aws_msk_iam);
}

INSTANTIATE_TEST_SUITE_P(
    ClientConfigCommon, ClientConfigMapping,
    testing::Values(MapCase{"bootstrap_list_normalised",
                            kConsumer,
                            {{"bootstrap.servers", " b-1.msk:9098, b-2.msk:9098 ,,"}},
                            {{"bootstrap.servers", "b-1.msk:9098,b-2.msk:9098"}}},
                    MapCase{"client_id_and_empty_values_skipped",
                            kProducer,
                            {{"client.id", "A->B|mm2|replication-producer"}, {"linger.ms", " "}},
                            {{"client.id", "A->B|mm2|replication-producer"}}},
                    MapCase{"common_timeouts_all_roles",
                            kAdmin,
                            {{"metadata.max.age.ms", "300000"},
                             {"reconnect.backoff.ms", "50"},
                             {"reconnect.backoff.max.ms", "1000"},
                             {"connections.max.idle.ms", "540000"},
                             {"socket.connection.setup.timeout.max.ms", "30000"},
                             {"socket.connection.setup.timeout.ms", "10000"}},
                            {{"topic.metadata.refresh.interval.ms", "300000"},
                             {"reconnect.backoff.ms", "50"},
                             {"reconnect.backoff.max.ms", "1000"},
                             {"connections.max.idle.ms", "540000"},
                             {"socket.connection.setup.timeout.ms", "30000"}},
                            {"socket.connection.setup.timeout.ms"}},
                    MapCase{
                        "socket_buffers_minus_one_is_os_default",
                        kConsumer,
                        {{"receive.buffer.bytes", "-1"}, {"send.buffer.bytes", "-1"}},
                        {{"socket.receive.buffer.bytes", "0"}, {"socket.send.buffer.bytes", "0"}}},
                    MapCase{"negative_idle_timeout_disables",
                            kProducer,
                            {{"connections.max.idle.ms", "-1"}},
                            {{"connections.max.idle.ms", "0"}}},
                    MapCase{"request_timeout_consumer",
                            kConsumer,
                            {{"request.timeout.ms", "30000"}},
                            {{"socket.timeout.ms", "30000"}}},
                    MapCase{"request_timeout_admin",
                            kAdmin,
                            {{"request.timeout.ms", "120000"}},
                            {{"socket.timeout.ms", "120000"}}},
                    MapCase{"request_timeout_producer_also_broker_ack_timeout",
                            kProducer,
                            {{"request.timeout.ms", "30000"}},
                            {{"socket.timeout.ms", "30000"}, {"request.timeout.ms", "30000"}}},
                    MapCase{"retry_backoff_producer_only",
                            kConsumer,
                            {{"retry.backoff.ms", "100"}},
                            {},
                            {"retry.backoff.ms"}},
                    MapCase{"retry_backoff_producer",
                            kProducer,
                            {{"retry.backoff.ms", "100"}},
                            {{"retry.backoff.ms", "100"}}}),
    [](const auto& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(
    ClientConfigConsumer, ClientConfigMapping,
    testing::Values(
        MapCase{"group_settings",
                kConsumer,
                {{"group.id", "mm2-msc"},
                 {"group.instance.id", "node-1"},
                 {"session.timeout.ms", "45000"},
                 {"heartbeat.interval.ms", "3000"},
                 {"max.poll.interval.ms", "300000"},
                 {"enable.auto.commit", "FALSE"},
                 {"auto.commit.interval.ms", "5000"}},
                {{"group.id", "mm2-msc"},
                 {"group.instance.id", "node-1"},
                 {"session.timeout.ms", "45000"},
                 {"heartbeat.interval.ms", "3000"},
                 {"max.poll.interval.ms", "300000"},
                 {"enable.auto.commit", "false"},
                 {"auto.commit.interval.ms", "5000"}}},
        MapCase{"fetch_settings",
                kConsumer,
                {{"fetch.min.bytes", "1"},
                 {"fetch.max.bytes", "52428800"},
                 {"fetch.max.wait.ms", "500"},
                 {"max.partition.fetch.bytes", "1048576"},
                 {"check.crcs", "true"},
                 {"isolation.level", "READ_UNCOMMITTED"},
                 {"client.rack", "use1-az1"},
                 {"allow.auto.create.topics", "false"}},
                {{"fetch.min.bytes", "1"},
                 {"fetch.max.bytes", "52428800"},
                 {"fetch.wait.max.ms", "500"},
                 {"max.partition.fetch.bytes", "1048576"},
                 {"check.crcs", "true"},
                 {"isolation.level", "read_uncommitted"},
                 {"client.rack", "use1-az1"},
                 {"allow.auto.create.topics", "false"}}},
        MapCase{"auto_offset_reset_earliest",
                kConsumer,
                {{"auto.offset.reset", "earliest"}},
                {{"auto.offset.reset", "earliest"}}},
        MapCase{"auto_offset_reset_latest_any_case",
                kConsumer,
                {{"auto.offset.reset", "LATEST"}},
                {{"auto.offset.reset", "latest"}}},
        MapCase{"auto_offset_reset_none_is_error",
                kConsumer,
                {{"auto.offset.reset", "none"}},
                {{"auto.offset.reset", "error"}}},
        MapCase{
            "assignor_range",
            kConsumer,
            {{"partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor"}},
            {{"partition.assignment.strategy", "range"}}},
        MapCase{"assignors_eager_list",
                kConsumer,
                {{"partition.assignment.strategy",
                  "org.apache.kafka.clients.consumer.RoundRobinAssignor, "
                  "org.apache.kafka.clients.consumer.RangeAssignor"}},
                {{"partition.assignment.strategy", "roundrobin,range"}}},
        MapCase{"assignor_cooperative",
                kConsumer,
                {{"partition.assignment.strategy",
                  "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"}},
                {{"partition.assignment.strategy", "cooperative-sticky"}}},
        MapCase{
            "java_only_consumer_keys_ignored",
            kConsumer,
            {{"key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"},
             {"value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"},
             {"interceptor.classes", "com.example.Interceptor"},
             {"max.poll.records", "500"},
             {"default.api.timeout.ms", "60000"},
             {"exclude.internal.topics", "true"},
             {"client.dns.lookup", "use_all_dns_ips"},
             {"metric.reporters", "com.example.Reporter"}},
            {},
            {"key.deserializer", "value.deserializer", "interceptor.classes", "max.poll.records",
             "default.api.timeout.ms", "exclude.internal.topics", "client.dns.lookup",
             "metric.reporters"}},
        MapCase{"producer_keys_ignored_by_consumer",
                kConsumer,
                {{"acks", "all"}, {"linger.ms", "5"}, {"group.id", "g"}},
                {{"group.id", "g"}},
                {"acks", "linger.ms"}}),
    [](const auto& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(
    ClientConfigProducer, ClientConfigMapping,
    testing::Values(
        MapCase{"reliability",
                kProducer,
                {{"acks", "all"},
                 {"enable.idempotence", "true"},
                 {"max.in.flight.requests.per.connection", "5"},
                 {"retries", "2147483647"},
                 {"delivery.timeout.ms", "120000"}},
                {{"acks", "all"},
                 {"enable.idempotence", "true"},
                 {"max.in.flight.requests.per.connection", "5"},
                 {"retries", "2147483647"},
                 {"delivery.timeout.ms", "120000"}}},
        MapCase{"acks_numbers", kProducer, {{"acks", "-1"}}, {{"acks", "-1"}}},
        MapCase{"acks_zero", kProducer, {{"acks", "0"}}, {{"acks", "0"}}},
        MapCase{"batching",
                kProducer,
                {{"batch.size", "16384"},
                 {"linger.ms", "0"},
                 {"buffer.memory", "33554432"},
                 {"max.request.size", "1048576"},
                 {"compression.type", "ZSTD"}},
                {{"batch.size", "16384"},
                 {"linger.ms", "0"},
                 {"queue.buffering.max.kbytes", "32768"},
                 {"message.max.bytes", "1048576"},
                 {"compression.type", "zstd"}}},
        MapCase{"buffer_memory_rounds_up",
                kProducer,
                {{"buffer.memory", "1025"}},
                {{"queue.buffering.max.kbytes", "2"}}},
        MapCase{"compression_level_of_configured_codec",
                kProducer,
                {{"compression.type", "gzip"},
                 {"compression.gzip.level", "9"},
                 {"compression.zstd.level", "3"}},
                {{"compression.type", "gzip"}, {"compression.level", "9"}},
                {"compression.zstd.level"}},
        MapCase{"compression_level_clamped",
                kProducer,
                {{"compression.type", "lz4"}, {"compression.lz4.level", "17"}},
                {{"compression.type", "lz4"}, {"compression.level", "12"}},
                {},
                1},
        MapCase{"transactions",
                kProducer,
                {{"transactional.id", "mm2-A-B-0"}, {"transaction.timeout.ms", "60000"}},
                {{"transactional.id", "mm2-A-B-0"}, {"transaction.timeout.ms", "60000"}}},
        MapCase{"java_only_producer_keys_ignored",
                kProducer,
                {{"key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer"},
                 {"max.block.ms", "60000"},
                 {"partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner"},
                 {"group.id", "g"},
                 {"message.max.bytes", "37755000"}},
                {},
                {"key.serializer", "max.block.ms", "partitioner.class", "group.id",
                 "message.max.bytes"}},
        MapCase{"admin_gets_common_keys_only",
                kAdmin,
                {{"bootstrap.servers", "b:9092"},
                 {"client.id", "c"},
                 {"group.id", "g"},
                 {"acks", "all"},
                 {"retries", "5"}},
                {{"bootstrap.servers", "b:9092"}, {"client.id", "c"}},
                {"group.id", "acks", "retries"}}),
    [](const auto& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(
    ClientConfigClamped, ClientConfigMapping,
    testing::Values(
        MapCase{"max_poll_interval_java_max",
                kConsumer,
                {{"max.poll.interval.ms", "2147483647"}},
                {{"max.poll.interval.ms", "86400000"}},
                {},
                1},
        MapCase{"metadata_age_above_one_hour",
                kProducer,
                {{"metadata.max.age.ms", "86400000"}},
                {{"topic.metadata.refresh.interval.ms", "3600000"}},
                {},
                1},
        MapCase{"retry_backoff_zero",
                kProducer,
                {{"retry.backoff.ms", "0"}},
                {{"retry.backoff.ms", "1"}},
                {},
                1},
        MapCase{"request_timeout_above_socket_max",
                kProducer,
                {{"request.timeout.ms", "600000"}},
                {{"socket.timeout.ms", "300000"}, {"request.timeout.ms", "600000"}},
                {},
                1},
        MapCase{"buffer_memory_zero",
                kProducer,
                {{"buffer.memory", "0"}},
                {{"queue.buffering.max.kbytes", "1"}},
                {},
                1},
        MapCase{"batch_size_zero", kProducer, {{"batch.size", "0"}}, {{"batch.size", "1"}}, {}, 1}),
    [](const auto& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(
    ClientConfigSecurity, ClientConfigMapping,
    testing::Values(
        MapCase{"plaintext_ignores_ssl_and_sasl_even_jks",
                kConsumer,
                {{"security.protocol", "PLAINTEXT"},
                 {"ssl.truststore.location", "/tmp/kafka.client.truststore.jks"},
                 {"sasl.jaas.config", "not even JAAS"}},
                {{"security.protocol", "plaintext"}},
                {"ssl.truststore.location", "sasl.jaas.config"}},
        MapCase{"no_protocol_means_plaintext",
                kProducer,
                {{"sasl.mechanism", "PLAIN"}, {"ssl.keystore.location", "/x.jks"}},
                {},
                {"sasl.mechanism", "ssl.keystore.location"}},
        MapCase{"ssl_ignores_sasl",
                kProducer,
                {{"security.protocol", "ssl"}, {"sasl.mechanism", "PLAIN"}},
                {{"security.protocol", "ssl"}},
                {"sasl.mechanism"}},
        MapCase{"pem_truststore_file",
                kConsumer,
                {{"security.protocol", "SSL"},
                 {"ssl.truststore.type", "pem"},
                 {"ssl.truststore.location", "/etc/kmirror/ca.pem"}},
                {{"security.protocol", "ssl"}, {"ssl.ca.location", "/etc/kmirror/ca.pem"}}},
        MapCase{"pem_truststore_inline",
                kConsumer,
                {{"security.protocol", "SSL"},
                 {"ssl.truststore.type", "PEM"},
                 {"ssl.truststore.certificates", kCertPem}},
                {{"security.protocol", "ssl"}, {"ssl.ca.pem", kCertPem}}},
        MapCase{"jks_type_without_location_uses_system_cas",
                kConsumer,
                {{"security.protocol", "SSL"},
                 {"ssl.truststore.type", "JKS"},
                 {"ssl.truststore.password", "changeit"}},
                {{"security.protocol", "ssl"}}},
        MapCase{"pkcs12_keystore",
                kProducer,
                {{"security.protocol", "SSL"},
                 {"ssl.keystore.type", "PKCS12"},
                 {"ssl.keystore.location", "/etc/kmirror/client.p12"},
                 {"ssl.keystore.password", "pw"},
                 {"ssl.key.password", "pw"}},
                {{"security.protocol", "ssl"},
                 {"ssl.keystore.location", "/etc/kmirror/client.p12"},
                 {"ssl.keystore.password", "pw"}}},
        MapCase{"pkcs12_keystore_different_key_password",
                kProducer,
                {{"security.protocol", "SSL"},
                 {"ssl.keystore.type", "PKCS12"},
                 {"ssl.keystore.location", "/etc/kmirror/client.p12"},
                 {"ssl.keystore.password", "pw"},
                 {"ssl.key.password", "other"}},
                {{"security.protocol", "ssl"},
                 {"ssl.keystore.location", "/etc/kmirror/client.p12"},
                 {"ssl.keystore.password", "pw"}},
                {},
                1},
        MapCase{"pem_keystore_file_holds_key_and_chain",
                kAdmin,
                {{"security.protocol", "SSL"},
                 {"ssl.keystore.type", "PEM"},
                 {"ssl.keystore.location", "/etc/kmirror/alice.pem"},
                 {"ssl.key.password", "kp"}},
                {{"security.protocol", "ssl"},
                 {"ssl.key.location", "/etc/kmirror/alice.pem"},
                 {"ssl.certificate.location", "/etc/kmirror/alice.pem"},
                 {"ssl.key.password", "kp"}}},
        MapCase{"pem_keystore_inline",
                kConsumer,
                {{"security.protocol", "SSL"},
                 {"ssl.keystore.type", "PEM"},
                 {"ssl.keystore.key", kKeyPem},
                 {"ssl.keystore.certificate.chain", kCertPem}},
                {{"security.protocol", "ssl"},
                 {"ssl.key.pem", kKeyPem},
                 {"ssl.certificate.pem", kCertPem}}},
        MapCase{"pem_keystore_inline_chain_loses_intermediates",
                kConsumer,
                {{"security.protocol", "SSL"},
                 {"ssl.keystore.type", "PEM"},
                 {"ssl.keystore.key", kKeyPem},
                 {"ssl.keystore.certificate.chain", kCertPem + "\n" + kCertPem}},
                {{"security.protocol", "ssl"},
                 {"ssl.key.pem", kKeyPem},
                 {"ssl.certificate.pem", kCertPem + "\n" + kCertPem}},
                {},
                1},
        MapCase{"endpoint_identification_off",
                kConsumer,
                {{"security.protocol", "SSL"}, {"ssl.endpoint.identification.algorithm", ""}},
                {{"security.protocol", "ssl"}, {"ssl.endpoint.identification.algorithm", "none"}}},
        MapCase{"endpoint_identification_https",
                kConsumer,
                {{"security.protocol", "SSL"}, {"ssl.endpoint.identification.algorithm", "HTTPS"}},
                {{"security.protocol", "ssl"}, {"ssl.endpoint.identification.algorithm", "https"}}},
        MapCase{"cipher_suites_iana_to_openssl",
                kConsumer,
                {{"security.protocol", "SSL"},
                 {"ssl.cipher.suites",
                  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_CBC_SHA,"
                  "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"}},
                {{"security.protocol", "ssl"},
                 {"ssl.cipher.suites", "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA"}}},
        MapCase{
            "cipher_suites_tls13_and_unknown_noted",
            kConsumer,
            {{"security.protocol", "SSL"},
             {"ssl.cipher.suites", "TLS_AES_128_GCM_SHA256,TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,"
                                   "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}},
            {{"security.protocol", "ssl"}, {"ssl.cipher.suites", "ECDHE-ECDSA-AES256-GCM-SHA384"}},
            {},
            2},
        MapCase{"cipher_suites_tls13_only",
                kConsumer,
                {{"security.protocol", "SSL"}, {"ssl.cipher.suites", "TLS_AES_256_GCM_SHA384"}},
                {{"security.protocol", "ssl"}},
                {},
                1},
        MapCase{"java_only_ssl_keys_ignored",
                kConsumer,
                {{"security.protocol", "SSL"},
                 {"ssl.protocol", "TLSv1.3"},
                 {"ssl.enabled.protocols", "TLSv1.2,TLSv1.3"},
                 {"ssl.keymanager.algorithm", "SunX509"},
                 {"ssl.trustmanager.algorithm", "PKIX"},
                 {"ssl.secure.random.implementation", "SHA1PRNG"},
                 {"ssl.engine.factory.class", "com.example.Factory"},
                 {"ssl.provider", "SunJSSE"}},
                {{"security.protocol", "ssl"}},
                {"ssl.protocol", "ssl.enabled.protocols", "ssl.keymanager.algorithm",
                 "ssl.trustmanager.algorithm", "ssl.secure.random.implementation",
                 "ssl.engine.factory.class", "ssl.provider"}},
        MapCase{"plain",
                kConsumer,
                {{"security.protocol", "SASL_PLAINTEXT"},
                 {"sasl.mechanism", "PLAIN"},
                 {"sasl.jaas.config",
                  "org.apache.kafka.common.security.plain.PlainLoginModule required "
                  "username=\"admin\" password=\"admin-secret\";"}},
                {{"security.protocol", "sasl_plaintext"},
                 {"sasl.mechanisms", "PLAIN"},
                 {"sasl.username", "admin"},
                 {"sasl.password", "admin-secret"}}},
        MapCase{"scram_mechanism_any_case",
                kProducer,
                {{"security.protocol", "sasl_ssl"},
                 {"sasl.mechanism", "scram-sha-256"},
                 {"sasl.jaas.config",
                  "org.apache.kafka.common.security.scram.ScramLoginModule required "
                  "username=u password=p;"}},
                {{"security.protocol", "sasl_ssl"},
                 {"sasl.mechanisms", "SCRAM-SHA-256"},
                 {"sasl.username", "u"},
                 {"sasl.password", "p"}}},
        MapCase{"iam_via_oauthbearer_login_handler",
                kConsumer,
                {{"security.protocol", "SASL_SSL"},
                 {"sasl.mechanism", "OAUTHBEARER"},
                 {"sasl.jaas.config",
                  "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                  "required;"},
                 {"sasl.login.callback.handler.class", kIamLoginHandler}},
                {{"security.protocol", "sasl_ssl"}, {"sasl.mechanisms", "OAUTHBEARER"}},
                {},
                0,
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                "required;"},
        MapCase{"iam_options_kept_for_the_credential_provider",
                kAdmin,
                {{"security.protocol", "SASL_SSL"},
                 {"sasl.mechanism", "AWS_MSK_IAM"},
                 {"sasl.jaas.config",
                  "software.amazon.msk.auth.iam.IAMLoginModule required "
                  "awsRoleArn=\"arn:aws:iam::123456789012:role/msk\" awsProfileName=dev;"}},
                {{"security.protocol", "sasl_ssl"}, {"sasl.mechanisms", "OAUTHBEARER"}},
                {},
                0,
                "software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName=\"dev\" "
                "awsRoleArn=\"arn:aws:iam::123456789012:role/msk\";"},
        MapCase{"iam_without_jaas",
                kProducer,
                {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "AWS_MSK_IAM"}},
                {{"security.protocol", "sasl_ssl"}, {"sasl.mechanisms", "OAUTHBEARER"}},
                {},
                0,
                kSeedIamJaas},
        MapCase{"kerberos",
                kConsumer,
                {{"security.protocol", "SASL_PLAINTEXT"},
                 {"sasl.mechanism", "GSSAPI"},
                 {"sasl.jaas.config",
                  "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
                  "storeKey=true keyTab=\"/etc/security/mm2.keytab\" "
                  "principal=\"mm2@EXAMPLE.COM\";"},
                 {"sasl.kerberos.service.name", "kafka"},
                 {"sasl.kerberos.kinit.cmd", "/usr/bin/kinit"},
                 {"sasl.kerberos.min.time.before.relogin", "60000"},
                 {"sasl.kerberos.ticket.renew.window.factor", "0.8"}},
                {{"security.protocol", "sasl_plaintext"},
                 {"sasl.mechanisms", "GSSAPI"},
                 {"sasl.kerberos.principal", "mm2@EXAMPLE.COM"},
                 {"sasl.kerberos.keytab", "/etc/security/mm2.keytab"},
                 {"sasl.kerberos.service.name", "kafka"},
                 {"sasl.kerberos.kinit.cmd",
                  "/usr/bin/kinit -R -t \"%{sasl.kerberos.keytab}\" -k "
                  "%{sasl.kerberos.principal} || /usr/bin/kinit -t "
                  "\"%{sasl.kerberos.keytab}\" -k %{sasl.kerberos.principal}"},
                 {"sasl.kerberos.min.time.before.relogin", "60000"}},
                {"sasl.kerberos.ticket.renew.window.factor"}},
        MapCase{
            "kerberos_default_mechanism_service_name_from_jaas",
            kProducer,
            {{"security.protocol", "SASL_PLAINTEXT"},
             {"sasl.jaas.config",
              "com.sun.security.auth.module.Krb5LoginModule required serviceName=kafka2;"}},
            {{"security.protocol", "sasl_plaintext"}, {"sasl.kerberos.service.name", "kafka2"}}},
        MapCase{"kerberos_keys_ignored_for_scram",
                kProducer,
                {{"security.protocol", "SASL_SSL"},
                 {"sasl.mechanism", "SCRAM-SHA-512"},
                 {"sasl.jaas.config", kSeedScramJaas},
                 {"sasl.kerberos.service.name", "kafka"},
                 {"sasl.login.refresh.window.factor", "0.8"}},
                {{"security.protocol", "sasl_ssl"},
                 {"sasl.mechanisms", "SCRAM-SHA-512"},
                 {"sasl.username", "USERNAME"},
                 {"sasl.password", "PASSWORD"}},
                {"sasl.kerberos.service.name", "sasl.login.refresh.window.factor"}},
        MapCase{"non_iam_callback_handler_ignored",
                kProducer,
                {{"security.protocol", "SASL_SSL"},
                 {"sasl.mechanism", "SCRAM-SHA-512"},
                 {"sasl.jaas.config", kSeedScramJaas},
                 {"sasl.client.callback.handler.class", "com.example.Handler"}},
                {{"security.protocol", "sasl_ssl"},
                 {"sasl.mechanisms", "SCRAM-SHA-512"},
                 {"sasl.username", "USERNAME"},
                 {"sasl.password", "PASSWORD"}},
                {"sasl.client.callback.handler.class"}}),
    [](const auto& p) { return std::string(p.param.name); });

// The seed's connector JSONs (Configuration/connectors/*/mm2-msc-*.json), as the clients of one
// cluster would see them.
INSTANTIATE_TEST_SUITE_P(
    ClientConfigSeed, ClientConfigMapping,
    testing::Values(MapCase{"msc_source_cluster_tuning_as_consumer",
                            kConsumer,
                            {{"max.poll.records", "50000"},
                             {"receive.buffer.bytes", "33554432"},
                             {"send.buffer.bytes", "33554432"},
                             {"max.partition.fetch.bytes", "33554432"},
                             {"message.max.bytes", "37755000"},
                             {"compression.type", "gzip"},
                             {"max.request.size", "26214400"},
                             {"buffer.memory", "524288000"},
                             {"batch.size", "524288"}},
                            {{"socket.receive.buffer.bytes", "33554432"},
                             {"socket.send.buffer.bytes", "33554432"},
                             {"max.partition.fetch.bytes", "33554432"}},
                            {"max.poll.records", "message.max.bytes", "compression.type",
                             "max.request.size", "buffer.memory", "batch.size"}},
                    MapCase{"msc_producer_override_as_producer",
                            kProducer,
                            {{"max.poll.records", "20000"},
                             {"receive.buffer.bytes", "33554432"},
                             {"send.buffer.bytes", "33554432"},
                             {"max.partition.fetch.bytes", "33554432"},
                             {"message.max.bytes", "37755000"},
                             {"compression.type", "gzip"},
                             {"max.request.size", "26214400"},
                             {"buffer.memory", "524288000"},
                             {"batch.size", "52428"},
                             {"enable.idempotence", "true"}},
                            {{"socket.receive.buffer.bytes", "33554432"},
                             {"socket.send.buffer.bytes", "33554432"},
                             {"compression.type", "gzip"},
                             {"message.max.bytes", "26214400"},
                             {"queue.buffering.max.kbytes", "512000"},
                             {"batch.size", "52428"},
                             {"enable.idempotence", "true"}},
                            {"max.poll.records", "max.partition.fetch.bytes", "message.max.bytes"}},
                    MapCase{"iam_connector",
                            kConsumer,
                            {{"bootstrap.servers", "{SOURCE CLUSTER BROKERS ADDRESS}"},
                             {"security.protocol", "SASL_SSL"},
                             {"sasl.mechanism", "AWS_MSK_IAM"},
                             {"sasl.jaas.config", kSeedIamJaas},
                             {"sasl.client.callback.handler.class", kIamClientHandler}},
                            {{"bootstrap.servers", "{SOURCE CLUSTER BROKERS ADDRESS}"},
                             {"security.protocol", "sasl_ssl"},
                             {"sasl.mechanisms", "OAUTHBEARER"}},
                            {},
                            0,
                            kSeedIamJaas},
                    MapCase{"scram_connector",
                            kProducer,
                            {{"security.protocol", "SASL_SSL"},
                             {"sasl.mechanism", "SCRAM-SHA-512"},
                             {"sasl.jaas.config", kSeedScramJaas}},
                            {{"security.protocol", "sasl_ssl"},
                             {"sasl.mechanisms", "SCRAM-SHA-512"},
                             {"sasl.username", "USERNAME"},
                             {"sasl.password", "PASSWORD"}}},
                    MapCase{"scram_connector_other_spacing",
                            kProducer,
                            {{"security.protocol", "SASL_SSL"},
                             {"sasl.mechanism", "SCRAM-SHA-512"},
                             {"sasl.jaas.config",
                              " org.apache.kafka.common.security.scram.ScramLoginModule  required  "
                              "username=\"USERNAME\"  password=\"PASSWORD\"; "}},
                            {{"security.protocol", "sasl_ssl"},
                             {"sasl.mechanisms", "SCRAM-SHA-512"},
                             {"sasl.username", "USERNAME"},
                             {"sasl.password", "PASSWORD"}}}),
    [](const auto& p) { return std::string(p.param.name); });

// The seed's worker .properties files, through the real .properties parser.
TEST(ClientConfigSeed, WorkerPropertiesFiles) {
    auto sasl = Properties::parse(
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism = SCRAM-SHA-512\n"
        "sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required "
        "username=USERNAME password=PASSWORD;\n");
    ASSERT_TRUE(sasl.ok()) << sasl.error().message;
    auto t = translate_java_client_config(*sasl, kProducer);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->settings, (Settings{{"security.protocol", "sasl_ssl"},
                                     {"sasl.mechanisms", "SCRAM-SHA-512"},
                                     {"sasl.username", "USERNAME"},
                                     {"sasl.password", "PASSWORD"}}));

    auto iam = Properties::parse(
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism = AWS_MSK_IAM\n"
        "sasl.jaas.config = software.amazon.msk.auth.iam.IAMLoginModule required;\n"
        "sasl.client.callback.handler.class = "
        "software.amazon.msk.auth.iam.IAMClientCallbackHandler\n");
    ASSERT_TRUE(iam.ok()) << iam.error().message;
    t = translate_java_client_config(*iam, kProducer);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->settings,
              (Settings{{"security.protocol", "sasl_ssl"}, {"sasl.mechanisms", "OAUTHBEARER"}}));
    EXPECT_TRUE(t->ignored.empty());
    ASSERT_TRUE(t->aws_msk_iam.has_value());
    auto entry = parse_jaas_config(*t->aws_msk_iam);
    ASSERT_TRUE(entry.ok());
    EXPECT_EQ(entry->login_module, "software.amazon.msk.auth.iam.IAMLoginModule");
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the key and never shows a secret ("S3CRET" is planted in every secret).

struct ErrorCase {
    const char* name;
    ClientRole role;
    Pairs java;
    std::vector<std::string> message_parts; // all must appear in the message
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
    *os << c.name;
}

class ClientConfigError : public testing::TestWithParam<ErrorCase> {};

TEST_P(ClientConfigError, Rejects) {
    const ErrorCase& c = GetParam();
    auto t = translate_java_client_config(props(c.java), c.role);
    ASSERT_FALSE(t.ok()) << "accepted";
    const std::string& m = t.error().message;
    for (const auto& part : c.message_parts) {
        EXPECT_NE(m.find(part), std::string::npos) << "'" << part << "' not in: " << m;
    }
    EXPECT_EQ(m.find("S3CRET"), std::string::npos) << m;
}

const Pairs kScramSsl = {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"}};

Pairs with(Pairs base, const Pairs& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
}

INSTANTIATE_TEST_SUITE_P(
    ClientConfigValues, ClientConfigError,
    testing::Values(
        ErrorCase{
            "not_an_integer",
            kConsumer,
            {{"session.timeout.ms", "45s"}},
            {"Invalid value '45s' for configuration 'session.timeout.ms'", "expected an integer"}},
        ErrorCase{"below_java_minimum",
                  kConsumer,
                  {{"max.poll.interval.ms", "0"}},
                  {"'max.poll.interval.ms'", "at least 1"}},
        ErrorCase{"buffer_below_minus_one",
                  kConsumer,
                  {{"receive.buffer.bytes", "-2"}},
                  {"'receive.buffer.bytes'", "at least -1"}},
        ErrorCase{
            "int_overflow", kProducer, {{"batch.size", "3000000000"}}, {"'batch.size'", "32-bit"}},
        ErrorCase{"not_a_boolean",
                  kConsumer,
                  {{"enable.auto.commit", "yes"}},
                  {"'enable.auto.commit'", "true or false"}},
        ErrorCase{"empty_bootstrap",
                  kAdmin,
                  {{"bootstrap.servers", " , "}},
                  {"'bootstrap.servers'", "host:port"}},
        ErrorCase{"bad_acks", kProducer, {{"acks", "2"}}, {"'acks'", "all, -1, 0 or 1"}},
        ErrorCase{"bad_compression",
                  kProducer,
                  {{"compression.type", "brotli"}},
                  {"'compression.type'", "none,gzip,snappy,lz4,zstd"}},
        ErrorCase{"bad_isolation_level",
                  kConsumer,
                  {{"isolation.level", "serializable"}},
                  {"'isolation.level'"}},
        ErrorCase{"bad_auto_offset_reset",
                  kConsumer,
                  {{"auto.offset.reset", "smallest"}},
                  {"'auto.offset.reset'", "earliest, latest or none"}},
        ErrorCase{"auto_offset_reset_by_duration",
                  kConsumer,
                  {{"auto.offset.reset", "by_duration:PT1H"}},
                  {"'auto.offset.reset'", "by_duration"}},
        ErrorCase{
            "sticky_assignor",
            kConsumer,
            {{"partition.assignment.strategy", "org.apache.kafka.clients.consumer.StickyAssignor"}},
            {"'partition.assignment.strategy'",
             "'org.apache.kafka.clients.consumer.StickyAssignor'"}},
        ErrorCase{"mixed_assignor_protocols",
                  kConsumer,
                  {{"partition.assignment.strategy",
                    "org.apache.kafka.clients.consumer.RangeAssignor,"
                    "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"}},
                  {"'partition.assignment.strategy'", "eager", "cooperative"}},
        ErrorCase{"bad_security_protocol",
                  kConsumer,
                  {{"security.protocol", "TLS"}},
                  {"'security.protocol'", "SASL_SSL"}},
        ErrorCase{
            "bad_endpoint_identification",
            kConsumer,
            {{"security.protocol", "SSL"}, {"ssl.endpoint.identification.algorithm", "ldaps"}},
            {"'ssl.endpoint.identification.algorithm'", "https"}},
        ErrorCase{"cipher_suites_none_known",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.cipher.suites", "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"}},
                  {"'ssl.cipher.suites'", "OpenSSL"}}),
    [](const auto& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(
    ClientConfigSsl, ClientConfigError,
    testing::Values(
        // Configuration/connectors/mtls/*.json and workers/mtls/connect-distributed.properties
        ErrorCase{"seed_mtls_jks_truststore",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.truststore.location", "/tmp/kafka.client.truststore.jks"},
                   {"ssl.truststore.password", "changeitS3CRET"},
                   {"ssl.keystore.location", "/tmp/kafka.client.keystore.jks"},
                   {"ssl.keystore.password", "passwordS3CRET"},
                   {"ssl.key.password", "passwordS3CRET"}},
                  {"'ssl.truststore.location'", "JKS", "resolve_key_stores", "PEM", "cacerts"}},
        ErrorCase{"jks_keystore",
                  kProducer,
                  {{"security.protocol", "SSL"},
                   {"ssl.keystore.location", "/tmp/kafka.client.keystore.jks"},
                   {"ssl.keystore.password", "S3CRET"}},
                  {"'ssl.keystore.location'", "JKS", "resolve_key_stores", "PKCS12", "PEM"}},
        ErrorCase{"explicit_jks_keystore",
                  kProducer,
                  {{"security.protocol", "SASL_SSL"},
                   {"sasl.mechanism", "PLAIN"},
                   {"sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule "
                                        "required username=u password=S3CRET;"},
                   {"ssl.keystore.type", "jks"},
                   {"ssl.keystore.location", "/tmp/k.jks"}},
                  {"'ssl.keystore.location'", "JKS"}},
        ErrorCase{"pkcs12_truststore",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.truststore.type", "PKCS12"},
                   {"ssl.truststore.location", "/tmp/t.p12"}},
                  {"'ssl.truststore.location'", "PKCS12", "PEM", "resolve_key_stores"}},
        ErrorCase{"unknown_store_type",
                  kConsumer,
                  {{"security.protocol", "SSL"}, {"ssl.truststore.type", "BKS"}},
                  {"'ssl.truststore.type'", "JKS, PKCS12 or PEM"}},
        ErrorCase{"truststore_location_and_certificates",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.truststore.type", "PEM"},
                   {"ssl.truststore.location", "/ca.pem"},
                   {"ssl.truststore.certificates", kCertPem}},
                  {"'ssl.truststore.location'", "'ssl.truststore.certificates'"}},
        ErrorCase{"truststore_certificates_need_pem",
                  kConsumer,
                  {{"security.protocol", "SSL"}, {"ssl.truststore.certificates", kCertPem}},
                  {"'ssl.truststore.certificates'", "PEM", "JKS"}},
        ErrorCase{"pem_truststore_password",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.truststore.type", "PEM"},
                   {"ssl.truststore.location", "/ca.pem"},
                   {"ssl.truststore.password", "S3CRET"}},
                  {"'ssl.truststore.password'", "PEM"}},
        ErrorCase{"pem_keystore_password",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.keystore.type", "PEM"},
                   {"ssl.keystore.location", "/alice.pem"},
                   {"ssl.keystore.password", "S3CRET"}},
                  {"'ssl.keystore.password'", "PEM", "ssl.key.password"}},
        ErrorCase{"keystore_location_and_key",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.keystore.type", "PEM"},
                   {"ssl.keystore.location", "/alice.pem"},
                   {"ssl.keystore.key", "S3CRET"},
                   {"ssl.keystore.certificate.chain", kCertPem}},
                  {"'ssl.keystore.location'", "'ssl.keystore.key'"}},
        ErrorCase{"keystore_key_without_chain",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.keystore.type", "PEM"},
                   {"ssl.keystore.key", "S3CRET"}},
                  {"'ssl.keystore.key'", "'ssl.keystore.certificate.chain'", "together"}},
        ErrorCase{"keystore_key_needs_pem",
                  kConsumer,
                  {{"security.protocol", "SSL"},
                   {"ssl.keystore.key", "S3CRET"},
                   {"ssl.keystore.certificate.chain", kCertPem}},
                  {"'ssl.keystore.key'", "PEM"}}),
    [](const auto& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(
    ClientConfigSasl, ClientConfigError,
    testing::Values(
        ErrorCase{"unsupported_mechanism",
                  kConsumer,
                  {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "DIGEST-MD5"}},
                  {"'sasl.mechanism'", "DIGEST-MD5", "SCRAM-SHA-512"}},
        ErrorCase{"scram_without_jaas",
                  kConsumer,
                  kScramSsl,
                  {"SCRAM-SHA-512", "'sasl.jaas.config' is missing"}},
        ErrorCase{
            "jaas_syntax_error",
            kConsumer,
            with(kScramSsl, {{"sasl.jaas.config",
                              "org.apache.kafka.common.security.scram.ScramLoginModule required "
                              "username=u password=S3CRET"}}),
            {"'sasl.jaas.config'", "JAAS config entry not terminated by semi-colon"}},
        ErrorCase{"jaas_two_modules",
                  kConsumer,
                  with(kScramSsl, {{"sasl.jaas.config", "A required; B required;"}}),
                  {"'sasl.jaas.config'", "contains 2 login modules, should be 1 module"}},
        ErrorCase{
            "jaas_unquoted_value_with_space",
            kConsumer,
            with(kScramSsl, {{"sasl.jaas.config",
                              "org.apache.kafka.common.security.scram.ScramLoginModule required "
                              "username=u password=my S3CRET x;"}}),
            {"'sasl.jaas.config'", "Value not specified for key"}},
        ErrorCase{"scram_with_iam_module",
                  kConsumer,
                  with(kScramSsl, {{"sasl.jaas.config", kSeedIamJaas}}),
                  {"'sasl.jaas.config'", "'software.amazon.msk.auth.iam.IAMLoginModule'",
                   "SASL mechanism SCRAM-SHA-512"}},
        ErrorCase{"default_gssapi_with_scram_module",
                  kConsumer,
                  {{"security.protocol", "SASL_SSL"}, {"sasl.jaas.config", kSeedScramJaas}},
                  {"'sasl.jaas.config'", "sasl.mechanism is not set", "GSSAPI", "Krb5LoginModule"}},
        ErrorCase{"iam_mechanism_with_scram_module",
                  kConsumer,
                  {{"security.protocol", "SASL_SSL"},
                   {"sasl.mechanism", "AWS_MSK_IAM"},
                   {"sasl.jaas.config", kSeedScramJaas}},
                  {"'sasl.jaas.config'", "AWS_MSK_IAM", "IAMLoginModule"}},
        ErrorCase{
            "scram_missing_password",
            kConsumer,
            with(kScramSsl, {{"sasl.jaas.config",
                              "org.apache.kafka.common.security.scram.ScramLoginModule required "
                              "username=S3CRET;"}}),
            {"'sasl.jaas.config'", "username and password"}},
        ErrorCase{
            "scram_delegation_token",
            kConsumer,
            with(kScramSsl, {{"sasl.jaas.config",
                              "org.apache.kafka.common.security.scram.ScramLoginModule required "
                              "username=u password=S3CRET tokenauth=true;"}}),
            {"'sasl.jaas.config'", "tokenauth"}},
        ErrorCase{"oauthbearer_without_iam",
                  kConsumer,
                  {{"security.protocol", "SASL_SSL"},
                   {"sasl.mechanism", "OAUTHBEARER"},
                   {"sasl.jaas.config",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                    "required clientId=c clientSecret=S3CRET;"},
                   {"sasl.oauthbearer.token.endpoint.url", "https://idp/token"}},
                  {"'sasl.mechanism'", "OAUTHBEARER", "IAMOAuthBearerLoginCallbackHandler"}},
        ErrorCase{"module_name_not_echoed_when_odd",
                  kConsumer,
                  with(kScramSsl, {{"sasl.jaas.config", "\"S3CRET x\" required;"}}),
                  {"'sasl.jaas.config'", "(name not shown)"}}),
    [](const auto& p) { return std::string(p.param.name); });

// ---------------------------------------------------------------------------------------------
// Every translated setting must be accepted by the real librdkafka, so the table cannot name a
// property that librdkafka 2.0.2 rejects or give it a value outside its range.

Pairs general_keys() {
    return {{"bootstrap.servers", "b-1:9092,b-2:9092"},
            {"client.id", "A->B|mm2-msc|replication-consumer"},
            {"metadata.max.age.ms", "300000"},
            {"send.buffer.bytes", "33554432"},
            {"receive.buffer.bytes", "-1"},
            {"reconnect.backoff.ms", "50"},
            {"reconnect.backoff.max.ms", "1000"},
            {"retry.backoff.ms", "100"},
            {"connections.max.idle.ms", "540000"},
            {"request.timeout.ms", "30000"},
            {"socket.connection.setup.timeout.max.ms", "30000"}};
}

Pairs consumer_keys() {
    return {{"group.id", "mm2-msc"},
            {"group.instance.id", "node-1"},
            {"client.rack", "use1-az1"},
            {"session.timeout.ms", "45000"},
            {"heartbeat.interval.ms", "3000"},
            {"max.poll.interval.ms", "300000"},
            {"enable.auto.commit", "false"},
            {"auto.commit.interval.ms", "5000"},
            {"auto.offset.reset", "none"},
            {"partition.assignment.strategy",
             "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"},
            {"fetch.min.bytes", "1"},
            {"fetch.max.bytes", "52428800"},
            {"fetch.max.wait.ms", "500"},
            {"max.partition.fetch.bytes", "33554432"},
            {"check.crcs", "true"},
            {"isolation.level", "read_uncommitted"},
            {"allow.auto.create.topics", "false"}};
}

Pairs producer_keys(const std::string& codec) {
    return {{"acks", "all"},
            {"enable.idempotence", "true"},
            {"max.in.flight.requests.per.connection", "5"},
            {"retries", "2147483647"},
            {"delivery.timeout.ms", "120000"},
            {"batch.size", "524288"},
            {"linger.ms", "5"},
            {"buffer.memory", "524288000"},
            {"max.request.size", "26214400"},
            {"compression.type", codec},
            {"compression." + codec + ".level", "3"},
            {"transactional.id", "mm2-A-B-0"},
            {"transaction.timeout.ms", "60000"}};
}

// Every role gets every key: the table must drop those that are not for the role.
Pairs all_keys(const std::string& codec) {
    return with(with(general_keys(), consumer_keys()), producer_keys(codec));
}

// Security variants that together reach every security row of the table.
std::vector<Pairs> security_variants() {
    return {
        {{"security.protocol", "SASL_SSL"},
         {"sasl.mechanism", "SCRAM-SHA-512"},
         {"sasl.jaas.config", kSeedScramJaas},
         {"ssl.truststore.type", "PEM"},
         {"ssl.truststore.location", "/etc/kmirror/ca.pem"},
         {"ssl.keystore.type", "PKCS12"},
         {"ssl.keystore.location", "/etc/kmirror/client.p12"},
         {"ssl.keystore.password", "pw"},
         {"ssl.key.password", "pw"},
         {"ssl.endpoint.identification.algorithm", ""},
         {"ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256"}},
        {{"security.protocol", "SSL"},
         {"ssl.truststore.type", "PEM"},
         {"ssl.truststore.certificates", kCertPem},
         {"ssl.keystore.type", "PEM"},
         {"ssl.keystore.key", kKeyPem},
         {"ssl.keystore.certificate.chain", kCertPem},
         {"ssl.key.password", "kp"},
         {"ssl.endpoint.identification.algorithm", "https"}},
        {{"security.protocol", "SSL"},
         {"ssl.truststore.password", "unused-without-a-trust-store"},
         {"ssl.keystore.type", "PEM"},
         {"ssl.keystore.location", "/etc/kmirror/alice.pem"}},
        {{"security.protocol", "SASL_PLAINTEXT"},
         {"sasl.mechanism", "GSSAPI"},
         {"sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required "
                              "useKeyTab=true keyTab=\"/k.keytab\" principal=\"mm2@EX\";"},
         {"sasl.kerberos.service.name", "kafka"},
         {"sasl.kerberos.kinit.cmd", "/usr/bin/kinit"},
         {"sasl.kerberos.min.time.before.relogin", "60000"}},
        {{"security.protocol", "SASL_SSL"},
         {"sasl.mechanism", "AWS_MSK_IAM"},
         {"sasl.jaas.config", kSeedIamJaas},
         {"sasl.client.callback.handler.class", kIamClientHandler}},
        {{"security.protocol", "SASL_SSL"},
         {"sasl.mechanism", "OAUTHBEARER"},
         {"sasl.jaas.config",
          "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"},
         {"sasl.login.callback.handler.class", kIamLoginHandler}},
        {{"security.protocol", "SASL_PLAINTEXT"},
         {"sasl.mechanism", "PLAIN"},
         {"sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule "
                              "required username=u password=p;"}},
    };
}

class ClientConfigLibrdkafka : public testing::TestWithParam<ClientRole> {};

TEST_P(ClientConfigLibrdkafka, EveryTranslatedSettingIsAccepted) {
    const ClientRole role = GetParam();
    const std::vector<std::string> codecs = {"gzip", "lz4", "zstd"};
    std::set<std::string> covered;
    size_t checked = 0;
    const auto variants = security_variants();
    for (size_t i = 0; i < variants.size(); ++i) {
        const Pairs java = with(all_keys(codecs[i % codecs.size()]), variants[i]);
        auto t = translate_java_client_config(props(java), role);
        ASSERT_TRUE(t.ok()) << "variant " << i << ": " << t.error().message;
        ConfPtr conf(rd_kafka_conf_new());
        for (const auto& [name, value] : t->settings) {
            char err[512];
            EXPECT_EQ(rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), err, sizeof err),
                      RD_KAFKA_CONF_OK)
                << role_name(role) << " variant " << i << ": " << name << ": " << err;
            ++checked;
        }
        for (const auto& [key, value] : java) {
            if (std::find(t->ignored.begin(), t->ignored.end(), key) == t->ignored.end()) {
                covered.insert(key);
            }
        }
    }
    EXPECT_GT(checked, 0u);
    // A new table row must be added to the inputs above, so that it is checked too.
    for (const auto& name : translated_java_names(role)) {
        EXPECT_TRUE(covered.count(name)) << name << " is not exercised for " << role_name(role);
    }
}

struct LogCapture {
    std::mutex mutex;
    std::vector<std::string> warnings;
};

void capture_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
    if (level > 4) { // notices and below ("No bootstrap.servers configured") are fine
        return;
    }
    auto* capture = static_cast<LogCapture*>(rd_kafka_opaque(rk));
    std::lock_guard lock(capture->mutex);
    capture->warnings.push_back(std::string(facility) + ": " + message);
}

// Creating the client (without brokers, so no connection is attempted) runs librdkafka's
// cross-checks and its role check: a consumer-only property on a producer, or a producer-only one
// on a consumer, produces a warning.
TEST_P(ClientConfigLibrdkafka, ClientCreatedWithoutWarnings) {
    const ClientRole role = GetParam();
    for (const Pairs& security :
         {Pairs{}, Pairs{{"security.protocol", "SASL_SSL"},
                         {"sasl.mechanism", "SCRAM-SHA-512"},
                         {"sasl.jaas.config", kSeedScramJaas},
                         {"ssl.endpoint.identification.algorithm", "https"},
                         {"ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}}}) {
        Pairs java = with(all_keys("gzip"), security);
        java.erase(java.begin()); // bootstrap.servers: no connections in a unit test
        {
            // A transactional producer needs a coordinator before it can be created cleanly.
            java.erase(std::remove_if(java.begin(), java.end(),
                                      [](const auto& kv) {
                                          return kv.first == "transactional.id" ||
                                                 kv.first == "transaction.timeout.ms";
                                      }),
                       java.end());
        }
        auto t = translate_java_client_config(props(java), role);
        ASSERT_TRUE(t.ok()) << t.error().message;

        LogCapture capture;
        ConfPtr conf(rd_kafka_conf_new());
        rd_kafka_conf_set_log_cb(conf.get(), capture_log);
        rd_kafka_conf_set_opaque(conf.get(), &capture);
        char err[512];
        for (const auto& [name, value] : t->settings) {
            ASSERT_EQ(rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), err, sizeof err),
                      RD_KAFKA_CONF_OK)
                << name << ": " << err;
        }
        const auto type = role == kConsumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER;
        HandlePtr rk(rd_kafka_new(type, conf.get(), err, sizeof err));
        ASSERT_TRUE(rk) << role_name(role) << ": " << err;
        conf.release(); // owned by rk
        rk.reset();
        std::lock_guard lock(capture.mutex);
        EXPECT_TRUE(capture.warnings.empty()) << testing::PrintToString(capture.warnings);
    }
}

INSTANTIATE_TEST_SUITE_P(ClientConfigRoles, ClientConfigLibrdkafka,
                         testing::Values(kConsumer, kProducer, kAdmin),
                         [](const auto& p) { return std::string(role_name(p.param)); });

// Each IANA name in the table must map to a suite that OpenSSL (through librdkafka) accepts.
TEST(ClientConfigLibrdkafkaSsl, EveryCipherSuiteIsKnownToOpenSsl) {
    const std::vector<std::string> suites = {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                                             "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                             "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                                             "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                             "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                             "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                                             "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
                                             "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
                                             "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                                             "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384",
                                             "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256",
                                             "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
                                             "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
                                             "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
                                             "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                                             "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
                                             "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
                                             "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
                                             "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
                                             "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
                                             "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
                                             "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
                                             "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                                             "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
                                             "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
                                             "TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
                                             "TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
                                             "TLS_RSA_WITH_AES_256_GCM_SHA384",
                                             "TLS_RSA_WITH_AES_128_GCM_SHA256",
                                             "TLS_RSA_WITH_AES_256_CBC_SHA256",
                                             "TLS_RSA_WITH_AES_128_CBC_SHA256",
                                             "TLS_RSA_WITH_AES_256_CBC_SHA",
                                             "TLS_RSA_WITH_AES_128_CBC_SHA",
                                             "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
                                             "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"};
    for (const auto& suite : suites) {
        auto t = translate_java_client_config(
            props({{"security.protocol", "SSL"}, {"ssl.cipher.suites", suite}}), kProducer);
        ASSERT_TRUE(t.ok()) << suite << ": " << t.error().message;
        ASSERT_EQ(t->settings.size(), 2u) << suite;
        EXPECT_TRUE(t->notes.empty()) << suite;
        ConfPtr conf(rd_kafka_conf_new());
        char err[512];
        for (const auto& [name, value] : t->settings) {
            ASSERT_EQ(rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), err, sizeof err),
                      RD_KAFKA_CONF_OK);
        }
        rd_kafka_conf_set_log_cb(conf.get(),
                                 [](const rd_kafka_t*, int, const char*, const char*) {});
        HandlePtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err));
        EXPECT_TRUE(rk) << suite << " -> " << t->settings[1].second << ": " << err;
        if (rk) {
            conf.release();
        }
    }
}

// ---------------------------------------------------------------------------------------------

TEST(ClientConfigNames, MirrorClientConfigNames) {
    for (const char* name :
         {"bootstrap.servers", "security.protocol", "ssl.truststore.location",
          "ssl.keystore.password", "ssl.endpoint.identification.algorithm", "ssl.cipher.suites",
          "sasl.jaas.config", "sasl.mechanism", "sasl.client.callback.handler.class",
          "sasl.login.refresh.window.factor", "sasl.oauthbearer.token.endpoint.url",
          "sasl.kerberos.service.name"}) {
        EXPECT_TRUE(is_client_config_name(name)) << name;
    }
    for (const char* name :
         {"client.id", "group.id", "max.poll.records", "producer.bootstrap.servers", "sslx.foo",
          "ssl", "ssl.client.auth", "ssl.principal.mapping.rules", "sasl.enabled.mechanisms",
          "sasl.mechanism.inter.broker.protocol", "sasl.server.callback.handler.class",
          "sasl.kerberos.principal.to.local.rules"}) {
        EXPECT_FALSE(is_client_config_name(name)) << name;
    }
}

TEST(ClientConfigNames, TableNamesPerRole) {
    auto has = [](ClientRole role, const std::string& name) {
        auto names = translated_java_names(role);
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    EXPECT_TRUE(has(kConsumer, "group.id"));
    EXPECT_FALSE(has(kProducer, "group.id"));
    EXPECT_TRUE(has(kProducer, "buffer.memory"));
    EXPECT_FALSE(has(kAdmin, "buffer.memory"));
    EXPECT_TRUE(has(kAdmin, "sasl.jaas.config"));
    EXPECT_FALSE(has(kConsumer, "max.poll.records")); // ignored, not translated
}

TEST(ClientConfigOrder, SettingsFollowInputOrderAndIgnoredAreUnique) {
    Properties p;
    p.set("linger.ms", "7");
    p.set("bootstrap.servers", "b:1");
    p.set("foo", "1");
    p.set("acks", "1");
    p.set("foo", "2");
    auto t = translate_java_client_config(p, kProducer);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->settings,
              (Settings{{"linger.ms", "7"}, {"bootstrap.servers", "b:1"}, {"acks", "1"}}));
    EXPECT_EQ(t->ignored, (Names{"foo"}));
}

} // namespace
} // namespace kmirror::kafka
