// kafka::resolve_key_stores with keytool-made stores: JKS/PKCS12 settings become the PEM
// settings the pure translation accepts, and the translation then succeeds.
#include "kafka/client_config.h"
#include "kafka/key_stores.h"

#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <string>

namespace kmirror::kafka {
namespace {

class KeyStores : public testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "kmirror-keystores-XXXXXX").string();
        dir_ = mkdtemp(pattern.data());
        const std::string d = dir_;
        const std::string quiet = " >/dev/null 2>&1";
        ok_ = std::system(("keytool -genkeypair -alias client -keyalg EC -groupname secp256r1 "
                           "-dname CN=alice -validity 2 -storetype JKS -keystore " +
                           d + "/key.jks -storepass st0re-pw -keypass k3y-pw" + quiet)
                              .c_str()) == 0 &&
              std::system(("keytool -exportcert -rfc -alias client -keystore " + d +
                           "/key.jks -storepass st0re-pw -file " + d + "/cert.pem" + quiet)
                              .c_str()) == 0 &&
              std::system(("keytool -genkeypair -alias old -keyalg EC -groupname secp256r1 "
                           "-dname CN=alice -startdate -3d -validity 1 -storetype JKS -keystore " +
                           d + "/expired.jks -storepass st0re-pw" + quiet)
                              .c_str()) == 0 &&
              std::system(("keytool -importcert -noprompt -alias ca -file " + d +
                           "/cert.pem -storetype JKS -keystore " + d +
                           "/trust.jks -storepass trust-pw" + quiet)
                              .c_str()) == 0;
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
    void SetUp() override { ASSERT_TRUE(ok_) << "keytool (openjdk-17, scripts/setup.sh) failed"; }

    static Properties seed_mtls() { // the seed's mtls settings, with JKS defaults
        Properties p;
        p.set("security.protocol", "SSL");
        p.set("ssl.truststore.location", dir_ + "/trust.jks");
        p.set("ssl.truststore.password", "trust-pw");
        p.set("ssl.keystore.location", dir_ + "/key.jks");
        p.set("ssl.keystore.password", "st0re-pw");
        p.set("ssl.key.password", "k3y-pw");
        return p;
    }

    static inline std::string dir_;
    static inline bool ok_ = false;
};

TEST_F(KeyStores, JksStoresBecomePemAndTranslate) {
    auto p = seed_mtls();
    auto s = resolve_key_stores(p);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(p.get("ssl.truststore.type"), "PEM");
    EXPECT_EQ(p.get("ssl.keystore.type"), "PEM");
    EXPECT_FALSE(p.contains("ssl.truststore.location"));
    EXPECT_FALSE(p.contains("ssl.keystore.location"));
    EXPECT_FALSE(p.contains("ssl.keystore.password"));
    EXPECT_FALSE(p.contains("ssl.key.password"));
    EXPECT_NE(p.get("ssl.truststore.certificates").find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_NE(p.get("ssl.keystore.key").find("BEGIN PRIVATE KEY"), std::string::npos);
    EXPECT_NE(p.get("ssl.keystore.certificate.chain").find("BEGIN CERTIFICATE"), std::string::npos);

    auto translated = translate_java_client_config(p, ClientRole::producer);
    ASSERT_TRUE(translated) << translated.error().message;
    bool ca = false, key = false, cert = false;
    for (const auto& [k, v] : translated->settings) {
        ca = ca || k == "ssl.ca.pem";
        key = key || k == "ssl.key.pem";
        cert = cert || k == "ssl.certificate.pem";
    }
    EXPECT_TRUE(ca && key && cert);
}

TEST_F(KeyStores, WithoutKeyPasswordTheStorePasswordIsTried) {
    auto p = seed_mtls();
    p.erase("ssl.key.password");
    auto s = resolve_key_stores(p); // key-pw differs from the store password here
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("'ssl.keystore.location'"), std::string::npos)
        << s.error().message;
}

TEST_F(KeyStores, WrongPasswordsAreErrorsWithoutSecrets) {
    auto p = seed_mtls();
    p.set("ssl.truststore.password", "Wr0ng-trust");
    auto s = resolve_key_stores(p);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("'ssl.truststore.location'"), std::string::npos);
    EXPECT_NE(s.error().message.find("trust.jks"), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().message.find("Wr0ng-trust"), std::string::npos) << s.error().message;

    p = seed_mtls();
    p.set("ssl.key.password", "Wr0ng-key");
    s = resolve_key_stores(p);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("'ssl.keystore.location'"), std::string::npos);
    EXPECT_EQ(s.error().message.find("Wr0ng-key"), std::string::npos) << s.error().message;
}

TEST_F(KeyStores, PemAndPkcs12KeyStoresAreLeftAlone) {
    Properties p;
    p.set("ssl.keystore.type", "PKCS12");
    p.set("ssl.keystore.location", "/nonexistent.p12");
    p.set("ssl.truststore.type", "PEM");
    p.set("ssl.truststore.location", "/nonexistent.pem");
    const auto before = p.map();
    ASSERT_TRUE(resolve_key_stores(p));
    EXPECT_EQ(p.map(), before);
}

TEST_F(KeyStores, ExpiredClientCertificateIsAnErrorWithItsDate) {
    Properties p;
    p.set("ssl.keystore.location", dir_ + "/expired.jks");
    p.set("ssl.keystore.password", "st0re-pw");
    auto s = resolve_key_stores(p);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("expired on"), std::string::npos) << s.error().message;

    auto valid = seed_mtls();
    EXPECT_TRUE(resolve_key_stores(valid)); // the same check passes a current certificate
}

TEST_F(KeyStores, MissingFileNamesKeyAndPath) {
    Properties p;
    p.set("ssl.truststore.location", dir_ + "/missing.jks");
    auto s = resolve_key_stores(p);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("missing.jks"), std::string::npos) << s.error().message;
}

} // namespace
} // namespace kmirror::kafka
