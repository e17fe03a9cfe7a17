// kafka::resolve_key_stores with a client certificate signed by an intermediate CA: the key and
// the whole chain (leaf first) go to a private file, because librdkafka 2.0.2 sends only the
// first certificate of ssl.certificate.pem (and a broker trusting only the root then refuses
// the client). Checks the file: chain order, mode 0600, nothing left on disk, and that the
// translation hands librdkafka the file (ssl.certificate.location), not the in-memory PEM.
#include "kafka/client_config.h"
#include "kafka/key_stores.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace kmirror::kafka {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Subjects ("CN=...") of the certificates in `pem`, in file order.
std::vector<std::string> subjects(const std::string& pem) {
    std::vector<std::string> out;
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    for (;;) {
        std::unique_ptr<X509, decltype(&X509_free)> cert(
            PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
        if (!cert) {
            break;
        }
        char buf[256];
        X509_NAME_oneline(X509_get_subject_name(cert.get()), buf, sizeof buf);
        out.emplace_back(buf);
    }
    return out;
}

std::map<std::string, std::string> as_map(const Settings& settings) {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : settings) {
        m[k] = v;
    }
    return m;
}

class KeyStoreChain : public testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string pattern = (fs::temp_directory_path() / "kmirror-chain-XXXXXX").string();
        dir_ = mkdtemp(pattern.data());
        fs::create_directories(dir_ + "/tmp");
        const std::string d = dir_;
        // Root CA -> intermediate CA -> CN=alice, as PEM, PKCS12 and JKS (full chain).
        const std::string script =
            "set -e; cd " + d +
            "; printf '[req]\\ndistinguished_name=dn\\nprompt=no\\n[dn]\\nCN=unused\\n"
            "[ca]\\nbasicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\n"
            "[client]\\nbasicConstraints=critical,CA:FALSE\\n"
            "keyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\n' > cnf"
            "; for k in root int leaf; do openssl genpkey -algorithm EC -pkeyopt "
            "ec_paramgen_curve:P-256 -out $k.key; done"
            "; openssl req -config cnf -x509 -new -key root.key -subj /CN=chain-root -days 2 "
            "-extensions ca -out root.pem"
            "; openssl req -config cnf -new -key int.key -subj /CN=chain-intermediate -out "
            "int.csr; openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 2 "
            "-days 2 -extfile cnf -extensions ca -out int.pem"
            "; openssl req -config cnf -new -key leaf.key -subj /CN=alice -out leaf.csr"
            "; openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 3 -days 2 "
            "-extfile cnf -extensions client -out leaf.pem"
            "; openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile int.pem -name "
            "client -passout pass:st0re-pw -out chain.p12"
            "; openssl pkcs12 -export -in leaf.pem -inkey leaf.key -name client -passout "
            "pass:st0re-pw -out leaf-only.p12"
            "; keytool -importkeystore -noprompt -srckeystore chain.p12 -srcstoretype PKCS12 "
            "-srcstorepass st0re-pw -destkeystore chain.jks -deststoretype JKS -deststorepass "
            "st0re-pw"
            "; keytool -importkeystore -noprompt -srckeystore leaf-only.p12 -srcstoretype PKCS12 "
            "-srcstorepass st0re-pw -destkeystore leaf-only.jks -deststoretype JKS "
            "-deststorepass st0re-pw";
        ok_ = std::system(("(" + script + ") >/dev/null 2>&1").c_str()) == 0;
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }
    void SetUp() override {
        ASSERT_TRUE(ok_) << "openssl/keytool (scripts/setup.sh) failed in " << dir_;
        setenv("TMPDIR", (dir_ + "/tmp").c_str(), 1);
    }
    void TearDown() override { unsetenv("TMPDIR"); }

    static Properties keystore(const std::string& file, const std::string& type) {
        Properties p;
        p.set("security.protocol", "SSL");
        p.set("ssl.keystore.type", type);
        p.set("ssl.keystore.location", dir_ + "/" + file);
        p.set("ssl.keystore.password", "st0re-pw");
        p.set("ssl.key.password", "st0re-pw");
        return p;
    }

    // The private file: leaf first, then the intermediate; mode 0600; unlinked, nothing left
    // in TMPDIR; the translation names it for key and certificate and passes no PEM in memory.
    static void expect_private_chain_file(const Properties& p) {
        EXPECT_EQ(p.get("ssl.keystore.type"), "PEM");
        const std::string path = p.get("ssl.keystore.location");
        EXPECT_EQ(path.rfind("/proc/self/fd/", 0), 0U) << path;
        EXPECT_FALSE(p.contains("ssl.keystore.key"));
        EXPECT_FALSE(p.contains("ssl.keystore.certificate.chain"));
        EXPECT_FALSE(p.contains("ssl.keystore.password"));
        EXPECT_FALSE(p.contains("ssl.key.password"));

        const std::string content = slurp(path);
        EXPECT_EQ(count_certificates(content), 2U);
        EXPECT_EQ(subjects(content),
                  (std::vector<std::string>{"/CN=alice", "/CN=chain-intermediate"}));
        EXPECT_NE(content.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600U);
        EXPECT_TRUE(S_ISREG(st.st_mode));
        EXPECT_EQ(st.st_nlink, 0U) << "the chain file must not stay on disk";
        EXPECT_TRUE(fs::is_empty(dir_ + "/tmp"));

        auto t = translate_java_client_config(p, ClientRole::consumer);
        ASSERT_TRUE(t) << t.error().message;
        const auto m = as_map(t->settings);
        EXPECT_EQ(m.count("ssl.certificate.pem"), 0U);
        EXPECT_EQ(m.count("ssl.key.pem"), 0U);
        EXPECT_EQ(m.count("ssl.keystore.location"), 0U);
        ASSERT_EQ(m.count("ssl.certificate.location"), 1U);
        EXPECT_EQ(m.at("ssl.certificate.location"), path);
        EXPECT_EQ(m.at("ssl.key.location"), path);
    }

    static inline std::string dir_;
    static inline bool ok_ = false;
};

TEST_F(KeyStoreChain, JksChainGoesToAPrivateFileLeafFirst) {
    auto p = keystore("chain.jks", "JKS");
    auto s = resolve_key_stores(p);
    ASSERT_TRUE(s) << s.error().message;
    expect_private_chain_file(p);
    // The same store again (every client of a flow resolves it): the same file.
    auto again = keystore("chain.jks", "JKS");
    ASSERT_TRUE(resolve_key_stores(again));
    EXPECT_EQ(again.get("ssl.keystore.location"), p.get("ssl.keystore.location"));
}

TEST_F(KeyStoreChain, Pkcs12ChainGoesToAPrivateFileLeafFirst) {
    auto p = keystore("chain.p12", "PKCS12");
    auto s = resolve_key_stores(p);
    ASSERT_TRUE(s) << s.error().message;
    expect_private_chain_file(p);
}

TEST_F(KeyStoreChain, PemChainInMemoryGoesToAPrivateFile) {
    Properties p;
    p.set("security.protocol", "SSL");
    p.set("ssl.keystore.type", "PEM");
    p.set("ssl.keystore.key", slurp(dir_ + "/leaf.key"));
    p.set("ssl.keystore.certificate.chain", slurp(dir_ + "/leaf.pem") + slurp(dir_ + "/int.pem"));
    auto s = resolve_key_stores(p);
    ASSERT_TRUE(s) << s.error().message;
    expect_private_chain_file(p);
}

// A leaf-only store keeps the in-memory PEM: one certificate is all librdkafka sends anyway.
TEST_F(KeyStoreChain, LeafOnlyStoresStayInMemory) {
    auto jks = keystore("leaf-only.jks", "JKS");
    ASSERT_TRUE(resolve_key_stores(jks));
    EXPECT_EQ(jks.get("ssl.keystore.type"), "PEM");
    EXPECT_FALSE(jks.contains("ssl.keystore.location"));
    EXPECT_EQ(count_certificates(jks.get("ssl.keystore.certificate.chain")), 1U);
    EXPECT_EQ(subjects(jks.get("ssl.keystore.certificate.chain")),
              std::vector<std::string>{"/CN=alice"});

    auto p12 = keystore("leaf-only.p12", "PKCS12");
    ASSERT_TRUE(resolve_key_stores(p12));
    EXPECT_EQ(p12.get("ssl.keystore.type"), "PKCS12");
    EXPECT_EQ(p12.get("ssl.keystore.location"), dir_ + "/leaf-only.p12");
    EXPECT_TRUE(fs::is_empty(dir_ + "/tmp"));
}

TEST_F(KeyStoreChain, PrivateFileIsPrivateAndGone) {
    const std::string pem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
    auto path = private_pem_file(pem);
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_EQ(slurp(*path), pem);
    struct stat st {};
    ASSERT_EQ(::stat(path->c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    EXPECT_EQ(st.st_nlink, 0U);
    EXPECT_TRUE(fs::is_empty(dir_ + "/tmp"));
    EXPECT_EQ(*private_pem_file(pem), *path);

    setenv("TMPDIR", (dir_ + "/no-such-dir").c_str(), 1);
    auto fail = private_pem_file(pem + "other");
    ASSERT_FALSE(fail);
    EXPECT_NE(fail.error().message.find(dir_ + "/no-such-dir"), std::string::npos)
        << fail.error().message;
    EXPECT_NE(fail.error().message.find("TMPDIR"), std::string::npos) << fail.error().message;
}

} // namespace
} // namespace kmirror::kafka
