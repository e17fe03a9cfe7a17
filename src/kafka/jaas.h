// Parser for Kafka's `sasl.jaas.config` client setting, with Kafka's own tokenizer rules
// (java.io.StreamTokenizer as Kafka configures it, docs: spec/auth.md §4), so a string that Java
// accepts means the same thing here and a string Java rejects is rejected with Kafka's wording.
//
// Option values usually hold passwords: no error message ever contains one. Pure functions,
// callable from any thread.
#pragma once

#include "util/result.h"

#include <map>
#include <string>
#include <string_view>

namespace kmirror::kafka {

struct JaasEntry {
    std::string login_module; // e.g. org.apache.kafka.common.security.plain.PlainLoginModule
    std::string control_flag; // lower case: required, requisite, sufficient, optional
    std::map<std::string, std::string>
        options; // keys are case-sensitive; a repeated key keeps its last value
};

// Parses a client `sasl.jaas.config` value: exactly one `module flag (key=value)* ;` entry.
Result<JaasEntry> parse_jaas_config(std::string_view text);

// Writes `entry` back as a `sasl.jaas.config` value that parse_jaas_config reads back to an equal
// entry (every value quoted and escaped). The result contains the option values: treat it as a
// secret.
std::string to_jaas_config(const JaasEntry& entry);

} // namespace kmirror::kafka
