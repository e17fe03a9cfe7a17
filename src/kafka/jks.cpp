#include "kafka/jks.h"

#include <array>
#include <cstdint>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <sstream>

namespace kmirror::kafka::jks {
namespace {

constexpr uint32_t kJksMagic = 0xFEEDFEED;
constexpr uint32_t kJceksMagic = 0xCECECECE;
constexpr std::string_view kKeyProtectorOid = "1.3.6.1.4.1.42.2.17.1.1";

class Reader {
public:
    explicit Reader(std::string_view data) : data_(data) {}
    bool u16(uint32_t& v) { return be(2, v); }
    bool u32(uint32_t& v) { return be(4, v); }
    bool u64() {
        uint32_t hi = 0;
        uint32_t lo = 0;
        return be(4, hi) && be(4, lo);
    }
    bool bytes(size_t n, std::string_view& out) {
        if (data_.size() - pos_ < n) {
            return false;
        }
        out = data_.substr(pos_, n);
        pos_ += n;
        return true;
    }
    bool utf(std::string& out) {
        uint32_t len = 0;
        std::string_view v;
        if (!u16(len) || !bytes(len, v)) {
            return false;
        }
        out = std::string(v);
        return true;
    }
    size_t pos() const { return pos_; }

private:
    bool be(size_t n, uint32_t& v) {
        if (data_.size() - pos_ < n) {
            return false;
        }
        v = 0;
        for (size_t i = 0; i < n; ++i) {
            v = (v << 8) | static_cast<unsigned char>(data_[pos_ + i]);
        }
        pos_ += n;
        return true;
    }
    std::string_view data_;
    size_t pos_ = 0;
};

// Java chars as UTF-16BE bytes (JavaKeyStore.convertToBytes).
std::string utf16be(std::string_view utf8) {
    std::string out;
    size_t i = 0;
    while (i < utf8.size()) {
        uint32_t cp = static_cast<unsigned char>(utf8[i]);
        size_t extra = cp < 0x80 ? 0 : cp < 0xE0 ? 1 : cp < 0xF0 ? 2 : 3;
        if (extra > 0) {
            cp &= (0x3F >> extra);
        }
        for (size_t k = 1; k <= extra && i + k < utf8.size(); ++k) {
            cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
        }
        i += extra + 1;
        auto unit = [&](uint32_t u) {
            out.push_back(static_cast<char>((u >> 8) & 0xFF));
            out.push_back(static_cast<char>(u & 0xFF));
        };
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(0xD800 + (cp >> 10));
            unit(0xDC00 + (cp & 0x3FF));
        } else {
            unit(cp);
        }
    }
    return out;
}

std::string sha1(std::initializer_list<std::string_view> parts) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr);
    for (auto p : parts) {
        EVP_DigestUpdate(ctx.get(), p.data(), p.size());
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> d{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx.get(), d.data(), &n);
    return std::string(reinterpret_cast<const char*>(d.data()), n);
}

struct SigDeleter {
    void operator()(X509_SIG* p) const { X509_SIG_free(p); }
};

// Sun's KeyProtector (JKS private keys): keystream d1 = SHA1(pw || salt), d(i+1) = SHA1(pw || di).
Result<std::string> decrypt_key(std::string_view der, const std::string& password,
                                const std::string& alias) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<X509_SIG, SigDeleter> sig(
        d2i_X509_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig) {
        return make_error("key entry '" + alias + "' is not an EncryptedPrivateKeyInfo");
    }
    const X509_ALGOR* alg = nullptr;
    const ASN1_OCTET_STRING* data = nullptr;
    X509_SIG_get0(sig.get(), &alg, &data);
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
    std::array<char, 80> oid_text{};
    OBJ_obj2txt(oid_text.data(), oid_text.size(), oid, 1);
    if (std::string_view(oid_text.data()) != kKeyProtectorOid) {
        return make_error("key entry '" + alias + "' uses protection " + oid_text.data() +
                          ", which is not supported (only JKS KeyProtector " +
                          std::string(kKeyProtectorOid) +
                          "); convert the store with keytool -importkeystore -deststoretype "
                          "PKCS12");
    }
    const std::string_view blob(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                                static_cast<size_t>(ASN1_STRING_length(data)));
    if (blob.size() < 40) {
        return make_error("key entry '" + alias + "' is truncated");
    }
    const std::string pw = utf16be(password);
    const std::string_view salt = blob.substr(0, 20);
    const std::string_view cipher = blob.substr(20, blob.size() - 40);
    const std::string_view check = blob.substr(blob.size() - 20);
    std::string plain(cipher.size(), '\0');
    std::string digest(salt);
    for (size_t off = 0; off < cipher.size(); off += 20) {
        digest = sha1({pw, digest});
        for (size_t i = 0; i < 20 && off + i < cipher.size(); ++i) {
            plain[off + i] = static_cast<char>(cipher[off + i] ^ digest[i]);
        }
    }
    if (sha1({pw, plain}) != check) {
        return make_error("key entry '" + alias +
                          "': wrong key password (ssl.key.password, else ssl.keystore.password)");
    }
    return plain;
}

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error("cannot read '" + path + "'");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct P12Deleter {
    void operator()(PKCS12* p) const { PKCS12_free(p); }
};

std::string der_of(X509* cert) {
    unsigned char* buf = nullptr;
    const int n = i2d_X509(cert, &buf);
    std::string out(reinterpret_cast<const char*>(buf), n > 0 ? static_cast<size_t>(n) : 0);
    OPENSSL_free(buf);
    return out;
}

Result<Store> load_pkcs12(const std::string& bytes, const std::optional<std::string>& password,
                          const std::string& path) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::unique_ptr<PKCS12, P12Deleter> p12(
        d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
    if (!p12) {
        return make_error("'" + path + "' is not a PKCS12 file");
    }
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* ca = nullptr;
    const char* pass = password ? password->c_str() : nullptr;
    int ok = PKCS12_parse(p12.get(), pass, &key, &cert, &ca);
    if (ok == 0) {
        // Older JDKs write RC2-40 certificate bags, which need OpenSSL's legacy provider.
        static const bool loaded = [] {
            return OSSL_PROVIDER_load(nullptr, "default") != nullptr &&
                   OSSL_PROVIDER_load(nullptr, "legacy") != nullptr;
        }();
        if (loaded) {
            ok = PKCS12_parse(p12.get(), pass, &key, &cert, &ca);
        }
    }
    if (ok == 0) {
        return make_error("cannot open the PKCS12 file '" + path +
                          "': wrong password or unsupported algorithms");
    }
    Store store;
    if (ca != nullptr) {
        for (int i = 0; i < sk_X509_num(ca); ++i) {
            store.trusted_pem += to_pem(der_of(sk_X509_value(ca, i)), "CERTIFICATE");
            store.trusted_aliases.emplace_back();
        }
    }
    if (key != nullptr && cert != nullptr) {
        KeyEntry entry;
        unsigned char* buf = nullptr;
        PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key);
        const int n = p8 != nullptr ? i2d_PKCS8_PRIV_KEY_INFO(p8, &buf) : 0;
        if (n > 0) {
            entry.key_pem =
                to_pem(std::string_view(reinterpret_cast<char*>(buf), n), "PRIVATE KEY");
            OPENSSL_cleanse(buf, static_cast<size_t>(n));
        }
        OPENSSL_free(buf);
        PKCS8_PRIV_KEY_INFO_free(p8);
        entry.chain_pem = to_pem(der_of(cert), "CERTIFICATE") + store.trusted_pem;
        store.keys.push_back(std::move(entry));
    } else if (cert != nullptr) {
        store.trusted_pem = to_pem(der_of(cert), "CERTIFICATE") + store.trusted_pem;
    }
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    return store;
}

} // namespace

std::string to_pem(std::string_view der, std::string_view label) {
    std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(der.data()),
                                  static_cast<int>(der.size()));
    b64.resize(static_cast<size_t>(n));
    std::string out = "-----BEGIN " + std::string(label) + "-----\n";
    for (size_t i = 0; i < b64.size(); i += 64) {
        out += b64.substr(i, 64) + "\n";
    }
    out += "-----END " + std::string(label) + "-----\n";
    return out;
}

Result<Store> parse_jks(std::string_view bytes, const std::optional<std::string>& store_password,
                        const std::optional<std::string>& key_password) {
    Reader r(bytes);
    uint32_t magic = 0;
    uint32_t version = 0;
    uint32_t count = 0;
    if (!r.u32(magic) || (magic != kJksMagic && magic != kJceksMagic)) {
        return make_error("not a JKS or JCEKS key store (wrong magic number)");
    }
    if (!r.u32(version) || (version != 1 && version != 2) || !r.u32(count)) {
        return make_error("unsupported JKS version");
    }
    const auto truncated = [] { return make_error("the key store is truncated or corrupt"); };
    Store store;
    for (uint32_t e = 0; e < count; ++e) {
        uint32_t tag = 0;
        std::string alias;
        if (!r.u32(tag) || !r.utf(alias) || !r.u64()) {
            return truncated();
        }
        auto read_cert = [&](std::string_view& der) {
            std::string type = "X.509";
            uint32_t len = 0;
            if ((version == 2 && !r.utf(type)) || !r.u32(len) || !r.bytes(len, der)) {
                return false;
            }
            return type == "X.509";
        };
        if (tag == 2) {
            std::string_view der;
            if (!read_cert(der)) {
                return truncated();
            }
            store.trusted_pem += to_pem(der, "CERTIFICATE");
            store.trusted_aliases.push_back(alias);
        } else if (tag == 1) {
            uint32_t len = 0;
            std::string_view key;
            uint32_t chain = 0;
            if (!r.u32(len) || !r.bytes(len, key) || !r.u32(chain)) {
                return truncated();
            }
            KeyEntry entry{alias, {}, {}};
            for (uint32_t c = 0; c < chain; ++c) {
                std::string_view der;
                if (!read_cert(der)) {
                    return truncated();
                }
                entry.chain_pem += to_pem(der, "CERTIFICATE");
            }
            if (key_password) {
                auto plain = decrypt_key(key, *key_password, alias);
                if (!plain) {
                    return plain.error();
                }
                entry.key_pem = to_pem(*plain, "PRIVATE KEY");
                OPENSSL_cleanse(plain->data(), plain->size());
            }
            store.keys.push_back(std::move(entry));
        } else {
            return make_error("entry '" + alias + "' has type " + std::to_string(tag) +
                              " (a JCEKS secret key), which cannot be used for TLS");
        }
    }
    std::string_view digest;
    const size_t body = r.pos();
    if (!r.bytes(20, digest)) {
        return truncated();
    }
    if (store_password &&
        sha1({utf16be(*store_password), "Mighty Aphrodite", bytes.substr(0, body)}) != digest) {
        return make_error("integrity check failed: wrong key store password, or the file was "
                          "modified");
    }
    return store;
}

Result<Store> load_store(const std::string& path, const std::string& type,
                         const std::optional<std::string>& store_password,
                         const std::optional<std::string>& key_password) {
    auto bytes = read_file(path);
    if (!bytes) {
        return bytes.error();
    }
    if (type == "PKCS12") {
        return load_pkcs12(*bytes, store_password, path);
    }
    auto store = parse_jks(*bytes, store_password, key_password ? key_password : store_password);
    if (!store) {
        return make_error("'" + path + "': " + store.error().message);
    }
    return store;
}

} // namespace kmirror::kafka::jks
