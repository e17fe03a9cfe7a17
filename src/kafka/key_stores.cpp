#include "kafka/key_stores.h"

#include "kafka/jks.h"
#include "util/strings.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

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

// The private files of private_pem_file: SHA-256 of the content -> open descriptor of an
// already unlinked file. Closed at exit.
class PrivateFiles {
public:
    ~PrivateFiles() {
        for (const auto& [digest, fd] : fds_) {
            ::close(fd);
        }
    }
    Result<std::string> get(const std::string& pem);

private:
    std::mutex mutex_;
    std::map<std::string, int> fds_;
};

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

std::string sha256(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<const char*>(md), n);
}

Result<std::string> PrivateFiles::get(const std::string& pem) {
    const std::string digest = sha256(pem);
    std::lock_guard lock(mutex_);
    if (auto it = fds_.find(digest); it != fds_.end()) {
        return fd_path(it->second);
    }
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    std::string name = dir + "/kmirror-client-key-XXXXXX";
    const int fd = ::mkostemp(name.data(), O_CLOEXEC); // mode 0600
    if (fd < 0) {
        return make_error("cannot create a private file for the client key and its certificate "
                          "chain in " +
                          dir + " (set TMPDIR to a writable directory): " + std::strerror(errno));
    }
    ::unlink(name.c_str()); // nothing on disk from here on; the descriptor keeps the content
    const auto fail = [&](const char* what) {
        const int err = errno;
        ::close(fd);
        return make_error(std::string("cannot ") + what +
                          " the private file for the client key and its certificate chain in " +
                          dir + ": " + std::strerror(err));
    };
    if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
        return fail("protect");
    }
    for (size_t done = 0; done < pem.size();) {
        const ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return fail("write");
        }
        done += static_cast<size_t>(n);
    }
    fds_.emplace(digest, fd);
    return fd_path(fd);
}

// Key and chain (leaf first) to the private file; the settings name it as a PEM key store.
Status use_private_file(Properties& java, std::string key_pem, const std::string& chain_pem,
                        const std::string& what) {
    if (!key_pem.empty() && key_pem.back() != '\n') {
        key_pem += '\n';
    }
    auto path = private_pem_file(key_pem + chain_pem);
    if (!path) {
        return make_error(what + ": " + path.error().message);
    }
    java.erase("ssl.keystore.key");
    java.erase("ssl.keystore.certificate.chain");
    java.set("ssl.keystore.type", "PEM");
    java.set("ssl.keystore.location", *path);
    return {};
}

// A PEM key and chain given in memory (ssl.keystore.key / ssl.keystore.certificate.chain) with
// intermediate certificates: librdkafka would send only the leaf.
Status resolve_pem_chain(Properties& java) {
    const auto* key = java.find("ssl.keystore.key");
    const auto* chain = java.find("ssl.keystore.certificate.chain");
    if (store_type(java, "ssl.keystore.type") != "PEM" || key == nullptr || chain == nullptr ||
        java.contains("ssl.keystore.location") || count_certificates(*chain) < 2) {
        return {};
    }
    const std::string key_pem = *key;
    const std::string chain_pem = *chain;
    return use_private_file(java, key_pem, chain_pem, "'ssl.keystore.certificate.chain'");
}

// A PKCS12 key store: librdkafka reads it itself unless its chain has intermediate
// certificates. One that cannot be opened here is left to librdkafka, which names the cause.
Status resolve_pkcs12_key_store(Properties& java, const std::string& path) {
    const auto password = optional_value(java, "ssl.keystore.password");
    auto store = jks::load_store(path, "PKCS12", password, password);
    if (!store || store->keys.size() != 1 ||
        count_certificates(store->keys.front().chain_pem) < 2) {
        return {};
    }
    const auto& entry = store->keys.front();
    java.erase("ssl.keystore.password");
    java.erase("ssl.key.password");
    return use_private_file(java, entry.key_pem, entry.chain_pem,
                            "'ssl.keystore.location' (PKCS12)");
}

Status resolve_key_store(Properties& java) {
    const auto* location = java.find("ssl.keystore.location");
    const std::string type = store_type(java, "ssl.keystore.type");
    if (location != nullptr && type == "PKCS12") {
        return resolve_pkcs12_key_store(java, *location);
    }
    if (location == nullptr) {
        return resolve_pem_chain(java);
    }
    if (type != "JKS" && type != "JCEKS") {
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
    if (count_certificates(entry.chain_pem) > 1) {
        return use_private_file(java, entry.key_pem, entry.chain_pem,
                                "'ssl.keystore.location' (" + type + ")");
    }
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

size_t count_certificates(std::string_view pem) {
    size_t n = 0;
    constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
    for (size_t pos = pem.find(begin); pos != std::string_view::npos;
         pos = pem.find(begin, pos + 1)) {
        ++n;
    }
    return n;
}

Result<std::string> private_pem_file(const std::string& pem) {
    static PrivateFiles files;
    return files.get(pem);
}

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
