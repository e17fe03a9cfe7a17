// JKS / PKCS12 stores made at test time by the JDK's keytool, checked against OpenSSL.
#include "kafka/jks.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sstream>
#include <string>

namespace kmirror::kafka::jks {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class JksStores : public testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "kmirror-jks-XXXXXX").string();
        dir_ = mkdtemp(pattern.data());
        const std::string d = dir_;
        const std::string quiet = " >/dev/null 2>&1";
        ok_ = std::system(("keytool -genkeypair -alias Client -keyalg RSA -keysize 2048 "
                           "-dname CN=client -validity 2 -storetype JKS -keystore " +
                           d + "/key.jks -storepass store-pw -keypass key-pw" + quiet)
                              .c_str()) == 0 &&
              std::system(("keytool -exportcert -rfc -alias Client -keystore " + d +
                           "/key.jks -storepass store-pw -file " + d + "/client.pem" + quiet)
                              .c_str()) == 0 &&
              std::system(("keytool -importcert -noprompt -alias TestCA -file " + d +
                           "/client.pem -storetype JKS -keystore " + d +
                           "/trust.jks -storepass trust-pw" + quiet)
                              .c_str()) == 0 &&
              std::system(("keytool -importcert -noprompt -alias TestCA -file " + d +
                           "/client.pem -storetype PKCS12 -keystore " + d +
                           "/trust.p12 -storepass trust-pw" + quiet)
                              .c_str()) == 0;
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
    void SetUp() override { ASSERT_TRUE(ok_) << "keytool (openjdk-17, scripts/setup.sh) failed"; }

    static std::string path(const std::string& name) { return dir_ + "/" + name; }
    // DER of every certificate in a PEM text, concatenated.
    static std::string ders(const std::string& pem) {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(
            BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
        std::string out;
        while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            unsigned char* buf = nullptr;
            const int n = i2d_X509(cert, &buf);
            out.append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
            OPENSSL_free(buf);
            X509_free(cert);
        }
        return out;
    }

    static inline std::string dir_;
    static inline bool ok_ = false;
};

TEST_F(JksStores, JksTruststoreBecomesTheSamePem) {
    auto store = load_store(path("trust.jks"), "JKS", "trust-pw", std::nullopt);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_EQ(store->trusted_aliases, std::vector<std::string>{"testca"}); // JKS lower-cases
    const std::string expected = ders(slurp(path("client.pem")));
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(ders(store->trusted_pem), expected);
    EXPECT_TRUE(store->keys.empty());
}

TEST_F(JksStores, IntegrityIsCheckedOnlyWithAPassword) {
    auto wrong = load_store(path("trust.jks"), "JKS", "not-the-password", std::nullopt);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("integrity check failed"), std::string::npos);
    EXPECT_NE(wrong.error().message.find("trust.jks"), std::string::npos);
    EXPECT_EQ(wrong.error().message.find("not-the-password"), std::string::npos);
    auto none = load_store(path("trust.jks"), "JKS", std::nullopt, std::nullopt);
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_FALSE(none->trusted_pem.empty());
}

TEST_F(JksStores, ModifiedOrTruncatedFilesAreRejected) {
    std::string bytes = slurp(path("trust.jks"));
    std::string flipped = bytes;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
    auto modified = parse_jks(flipped, "trust-pw", std::nullopt);
    EXPECT_FALSE(modified);
    auto truncated =
        parse_jks(std::string_view(bytes).substr(0, bytes.size() - 30), "trust-pw", std::nullopt);
    ASSERT_FALSE(truncated);
    EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);
    auto garbage = parse_jks("not a key store at all", std::nullopt, std::nullopt);
    ASSERT_FALSE(garbage);
    EXPECT_NE(garbage.error().message.find("magic"), std::string::npos);
}

TEST_F(JksStores, JksKeystoreKeyAndChain) {
    auto store = load_store(path("key.jks"), "JKS", "store-pw", "key-pw");
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_EQ(store->keys.size(), 1U);
    const KeyEntry& key = store->keys[0];
    EXPECT_EQ(key.alias, "client");
    EXPECT_EQ(ders(key.chain_pem), ders(slurp(path("client.pem"))));
    ASSERT_TRUE(key.key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    // The decrypted PKCS#8 key belongs to the certificate.
    std::unique_ptr<BIO, decltype(&BIO_free)> kb(
        BIO_new_mem_buf(key.key_pem.data(), static_cast<int>(key.key_pem.size())), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
        PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    ASSERT_TRUE(pkey);
    std::unique_ptr<BIO, decltype(&BIO_free)> cb(
        BIO_new_mem_buf(key.chain_pem.data(), static_cast<int>(key.chain_pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr), X509_free);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_check_private_key(cert.get(), pkey.get()), 1);
}

TEST_F(JksStores, WrongKeyPasswordIsReportedWithoutSecrets) {
    auto store = load_store(path("key.jks"), "JKS", "store-pw", "store-pw");
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().message.find("wrong key password"), std::string::npos)
        << store.error().message;
    EXPECT_EQ(store.error().message.find("store-pw"), std::string::npos);
    // Without a key password only the chain is read.
    auto chain_only = parse_jks(slurp(path("key.jks")), "store-pw", std::nullopt);
    ASSERT_TRUE(chain_only);
    EXPECT_TRUE(chain_only->keys.at(0).key_pem.empty());
}

TEST_F(JksStores, Pkcs12TruststoreThroughOpenSsl) {
    auto store = load_store(path("trust.p12"), "PKCS12", "trust-pw", std::nullopt);
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_EQ(ders(store->trusted_pem), ders(slurp(path("client.pem"))));
    auto wrong = load_store(path("trust.p12"), "PKCS12", "nope-pw", std::nullopt);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().message.find("nope-pw"), std::string::npos);
}

TEST(JksPem, WrapsAt64Columns) {
    const std::string pem = to_pem(std::string(100, 'A'), "CERTIFICATE");
    EXPECT_TRUE(pem.starts_with("-----BEGIN CERTIFICATE-----\nQUFB"));
    EXPECT_EQ(pem.find('\n', 28) - 28, 64U);
    EXPECT_TRUE(pem.ends_with("=\n-----END CERTIFICATE-----\n"));
}

} // namespace
} // namespace kmirror::kafka::jks
