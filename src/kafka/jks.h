// Java key stores → PEM for librdkafka (docs: spec/auth.md §5): JKS (and JCEKS with JKS-protected
// keys) read by hand, PKCS12 through OpenSSL. Trusted certificates become a PEM bundle; a private
// key entry becomes a PKCS#8 "PRIVATE KEY" PEM plus its certificate chain (leaf first).
//
// The store password checks integrity (JKS keyed SHA-1; skipped when no password is given, as
// Java does) and the key password decrypts Sun's KeyProtector. Errors name the file and the
// cause; they never contain passwords or key material. Callable from any thread.
#pragma once

#include "util/result.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::kafka::jks {

struct KeyEntry {
    std::string alias;
    std::string key_pem;   // -----BEGIN PRIVATE KEY----- (PKCS#8, unencrypted: a secret)
    std::string chain_pem; // certificates, leaf first
};

struct Store {
    std::vector<std::string> trusted_aliases;
    std::string trusted_pem; // every trusted certificate entry, concatenated
    std::vector<KeyEntry> keys;
};

// Parses JKS/JCEKS bytes. Private keys are decrypted only when `key_password` is given.
Result<Store> parse_jks(std::string_view bytes, const std::optional<std::string>& store_password,
                        const std::optional<std::string>& key_password);

// Reads `path` as `type` (JKS, JCEKS or PKCS12). For PKCS12 the certificates become
// trusted_pem and a key (if any) one KeyEntry; OpenSSL's legacy provider is loaded when the
// file uses legacy algorithms (RC2-40, as older JDKs write).
Result<Store> load_store(const std::string& path, const std::string& type,
                         const std::optional<std::string>& store_password,
                         const std::optional<std::string>& key_password);

std::string to_pem(std::string_view der, std::string_view label);

} // namespace kmirror::kafka::jks
