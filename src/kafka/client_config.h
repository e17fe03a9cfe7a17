// Translation of Java Kafka client settings (MM2 properties, Connect connector JSON) into
// librdkafka settings, driven by one table in client_config.cpp (docs: spec/auth.md §4 and §6).
//
// librdkafka rejects Java-only names (ssl.truststore.location, sasl.jaas.config, ...) and knows
// others under different names or units, so every Java key goes through here; nothing is passed
// through untranslated. Pure functions without I/O (no files are opened), callable from any thread.
#pragma once

#include "kafka/client.h"
#include "util/properties.h"
#include "util/result.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::kafka {

enum class ClientRole { consumer, producer, admin };

struct TranslatedConfig {
    Settings settings; // librdkafka names and values, in the order of the Java keys they came from
    // Java keys accepted but without effect here: no librdkafka equivalent, not meant for this
    // role, not a client setting at all, or SSL/SASL settings while security.protocol does not
    // use SSL/SASL. The caller reports them once at start-up.
    std::vector<std::string> ignored;
    // Settings that were translated only approximately (a value clamped to librdkafka's range, a
    // cipher suite OpenSSL lacks, ...), as sentences for the operator. Never contain secrets.
    std::vector<std::string> notes;
    // Set when the configuration asks for AWS MSK IAM (sasl.mechanism=AWS_MSK_IAM, or OAUTHBEARER
    // with the aws-msk-iam-auth login callback handler); settings then carry
    // sasl.mechanisms=OAUTHBEARER and the caller installs the MSK token refresh callback. The value
    // is the JAAS entry in canonical form (parse it with parse_jaas_config to read awsRoleArn,
    // awsProfileName, ...), "software.amazon.msk.auth.iam.IAMLoginModule required;" when the
    // configuration had none. Treat it as a secret when printing.
    std::optional<std::string> aws_msk_iam;
};

// Errors name the Java key and what is expected; secret values print as "[hidden]".
Result<TranslatedConfig> translate_java_client_config(const Properties& java, ClientRole role);

// MM2's client-config names (MirrorClientConfig): bootstrap.servers, security.protocol and the
// client ssl.* and sasl.* settings. MM2 copies only these from `<alias>.` / `source.cluster.` /
// `target.cluster.` into every client of that cluster.
bool is_client_config_name(std::string_view name);

// The Java names the table translates for `role` (not those it only ignores), for documentation
// and for tests that check every entry against librdkafka.
std::vector<std::string> translated_java_names(ClientRole role);

} // namespace kmirror::kafka
