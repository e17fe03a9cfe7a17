#include "kafka/key_stores.h"

#include "kafka/jks.h"
#include "util/strings.h"

#include <cctype>
#include <fstream>
#include <memory>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <optional>
#include <sstream>
#include <string>

namespace kmirror::kafka {
namespace {

std::optional<std::string> optional_value(const Properties& java, const std::string& key) {
    if (const auto* v = java.find(key)) {
        return *v;
    }
    return std::nullopt;
}

std::string store_type(const Properties& java, const std::string& key) {
    std::string type(strings::trim(java.get(key, "JKS")));
    for (auto& c : type) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return type;
}

Status resolve_trust_store(Properties& java) {
    const auto* location = java.find("ssl.truststore.location");
    const std::string type = store_type(java, "ssl.truststore.type");
    if (location == nullptr || (type != "JKS" && type != "JCEKS" && type != "PKCS12")) {
        return {};
    }
    const std::string path = *location;
    auto store =
        jks::load_store(path, type, optional_value(java, "ssl.truststore.password"), std::nullopt);
    if (!store) {
        return make_error("'ssl.truststore.location' (" + type + "): " + store.error().message);
    }
    if (store->trusted_pem.empty()) {
        return make_error("'ssl.truststore.location' (" + type + "): " + path +
                          " holds no certificate to trust");
    }
    java.erase("ssl.truststore.location");
    java.erase("ssl.truststore.password");
    java.set("ssl.truststore.type", "PEM");
    java.set("ssl.truststore.certificates", store->trusted_pem);
    return {};
}

Status resolve_key_store(Properties& java) {
    const auto* location = java.find("ssl.keystore.location");
    const std::string type = store_type(java, "ssl.keystore.type");
    if (location == nullptr || (type != "JKS" && type != "JCEKS")) {
        return {};
    }
    const std::string path = *location;
    const auto store_password = optional_value(java, "ssl.keystore.password");
    auto key_password = optional_value(java, "ssl.key.password");
    if (!key_password) {
        key_password = store_password;
    }
    if (!key_password) {
        return make_error("'ssl.keystore.location' (" + type + "): " + path +
                          ": neither ssl.key.password nor ssl.keystore.password is set, so the "
                          "private key cannot be decrypted");
    }
    auto store = jks::load_store(path, type, store_password, key_password);
    if (!store) {
        return make_error("'ssl.keystore.location' (" + type + "): " + store.error().message);
    }
    if (store->keys.empty()) {
        return make_error("'ssl.keystore.location' (" + type + "): " + path +
                          " holds no private key entry");
    }
    if (store->keys.size() > 1) {
        return make_error("'ssl.keystore.location' (" + type + "): " + path + " holds " +
                          std::to_string(store->keys.size()) +
                          " private key entries; kmirror needs exactly one (Java's "
                          "ssl.keystore.alias is not supported)");
    }
    const auto& entry = store->keys.front();
    java.erase("ssl.keystore.location");
    java.erase("ssl.keystore.password");
    java.erase("ssl.key.password");
    java.set("ssl.keystore.type", "PEM");
    java.set("ssl.keystore.key", entry.key_pem);
    java.set("ssl.keystore.certificate.chain", entry.chain_pem);
    return {};
}

std::string asn1_time(const ASN1_TIME* t) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    ASN1_TIME_print(bio.get(), t);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

// A PEM client certificate that is expired or not yet valid is reported here, by name and date:
// over TLS the broker only answers "certificate unknown".
Status check_client_certificate(const Properties& java) {
    if (store_type(java, "ssl.keystore.type") != "PEM") {
        return {};
    }
    std::string pem;
    std::string key = "ssl.keystore.certificate.chain";
    if (const auto* chain = java.find(key)) {
        pem = *chain;
    } else if (const auto* location = java.find("ssl.keystore.location")) {
        key = "ssl.keystore.location";
        std::ifstream in(*location, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        pem = text.str(); // unreadable: librdkafka reports it with the path
    }
    if (pem.empty()) {
        return {};
    }
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) {
        return {};
    }
    const ASN1_TIME* not_after = X509_get0_notAfter(cert.get());
    const ASN1_TIME* not_before = X509_get0_notBefore(cert.get());
    if (X509_cmp_current_time(not_after) < 0) {
        return make_error("'" + key + "': the client certificate expired on " +
                          asn1_time(not_after) + "; the broker would refuse it");
    }
    if (X509_cmp_current_time(not_before) > 0) {
        return make_error("'" + key + "': the client certificate is not valid before " +
                          asn1_time(not_before) + "; the broker would refuse it");
    }
    return {};
}

} // namespace

Status resolve_key_stores(Properties& java) {
    if (auto trust = resolve_trust_store(java); !trust) {
        return trust;
    }
    if (auto key = resolve_key_store(java); !key) {
        return key;
    }
    return check_client_certificate(java);
}

} // namespace kmirror::kafka
