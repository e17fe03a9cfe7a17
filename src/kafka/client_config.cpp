#include "kafka/client_config.h"

#include "kafka/jaas.h"
#include "util/redact.h"
#include "util/strings.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::kafka {
namespace {

constexpr std::string_view kPlainModule = "org.apache.kafka.common.security.plain.PlainLoginModule";
constexpr std::string_view kScramModule = "org.apache.kafka.common.security.scram.ScramLoginModule";
constexpr std::string_view kOAuthModule =
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";
constexpr std::string_view kKrb5Module = "com.sun.security.auth.module.Krb5LoginModule";
constexpr std::string_view kIamModule = "software.amazon.msk.auth.iam.IAMLoginModule";
constexpr std::string_view kIamClientHandler =
    "software.amazon.msk.auth.iam.IAMClientCallbackHandler";
constexpr std::string_view kIamLoginHandler =
    "software.amazon.msk.auth.iam.IAMOAuthBearerLoginCallbackHandler";

constexpr std::string_view kJksHelpTrust =
    "This translation is pure and accepts only PEM here: kmirror converts JKS/JCEKS/PKCS12 files "
    "to PEM first (kafka::resolve_key_stores, run by every flow). If the file is only a copy of "
    "the JVM's cacerts (as in the AWS MSK samples), ssl.truststore.location can also be removed: "
    "the system CA certificates are used";
constexpr std::string_view kJksHelpKey =
    "This translation is pure and accepts only PEM or PKCS12 here: kmirror converts JKS/JCEKS "
    "files to PEM first (kafka::resolve_key_stores, run by every flow)";

enum RoleBits : unsigned {
    kConsumer = 1U << 0,
    kProducer = 1U << 1,
    kAdmin = 1U << 2,
    kAll = kConsumer | kProducer | kAdmin,
};

unsigned role_bit(ClientRole role) {
    switch (role) {
    case ClientRole::consumer:
        return kConsumer;
    case ClientRole::producer:
        return kProducer;
    case ClientRole::admin:
        return kAdmin;
    }
    return 0;
}

struct SecurityPlan {
    bool ssl = false;
    bool sasl = false;
    std::string mechanism = "GSSAPI"; // Java's default
    std::optional<JaasEntry> jaas;
    bool iam = false;
    std::string truststore_type = "JKS"; // Java's default for both stores
    std::string keystore_type = "JKS";
};

struct Context {
    const Properties& java;
    ClientRole role;
    SecurityPlan plan;
    TranslatedConfig out;

    std::string get(const std::string& key) const {
        return std::string(strings::trim(java.get(key)));
    }
    bool has(const std::string& key) const { return !get(key).empty(); }
    void emit(std::string_view name, std::string value) {
        out.settings.emplace_back(std::string(name), std::move(value));
    }
    void ignore(const std::string& key) {
        if (std::find(out.ignored.begin(), out.ignored.end(), key) == out.ignored.end()) {
            out.ignored.push_back(key);
        }
    }
    void note(std::string text) { out.notes.push_back(std::move(text)); }
};

Error invalid(std::string_view key, std::string_view value, std::string_view expected) {
    return make_error("Invalid value '" + shown_value(key, value) + "' for configuration '" +
                      std::string(key) + "': " + std::string(expected));
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// Login module and handler names are shown in errors only when they look like Java class names,
// so that a secret pasted into the wrong place is not echoed.
std::string shown_class(std::string_view name) {
    const bool plain = !name.empty() && name.size() <= 200 &&
                       std::all_of(name.begin(), name.end(), [](unsigned char c) {
                           return std::isalnum(c) || c == '.' || c == '_' || c == '$';
                       });
    return plain ? "'" + std::string(name) + "'" : std::string("(name not shown)");
}

// ---------------------------------------------------------------------------------------------
// The table

struct Rule;
using Handler = Status (*)(Context&, const Rule&, const std::string& value);

enum class JavaType { int32, int64 };

struct Rule {
    std::string_view java; // Java client name
    unsigned roles;        // the Java clients that define it
    Handler handler;       // how the value is converted
    std::string_view rd{}; // librdkafka name, for the generic handlers
    long long rd_min = 0;  // librdkafka 2.0.2 range of an integer (CONFIGURATION.md)
    long long rd_max = 0;
    long long java_min = LLONG_MIN; // Java's validator lower bound, when it has one
    JavaType type = JavaType::int32;
    std::string_view choices{}; // accepted values of an enum, comma-separated
    // Otherwise an empty value means "not set": Java's meaning for strings and lists, and more
    // lenient than Java for numbers (Connect JSON templates often leave values empty).
    bool empty_is_value = false;
};

Result<long long> java_integer(const Rule& r, const std::string& value) {
    long long v = 0;
    if (!strings::parse_int64(value, v)) {
        return invalid(r.java, value, "expected an integer");
    }
    const long long type_max = r.type == JavaType::int32 ? INT32_MAX : LLONG_MAX;
    const long long type_min = r.type == JavaType::int32 ? INT32_MIN : LLONG_MIN;
    if (v > type_max || v < type_min) {
        return invalid(r.java, value,
                       r.type == JavaType::int32 ? "not a 32-bit integer" : "not a 64-bit integer");
    }
    if (v < r.java_min) {
        return invalid(r.java, value, "value must be at least " + std::to_string(r.java_min));
    }
    return v;
}

// librdkafka refuses values outside its ranges, where Java accepts them (e.g. max.poll.interval.ms
// = Integer.MAX_VALUE). The nearest accepted value keeps the intent, and the note says so.
long long clamp_to_rd(Context& ctx, const Rule& r, std::string_view rd_name, long long v,
                      long long lo, long long hi) {
    const long long c = std::clamp(v, lo, hi);
    if (c != v) {
        ctx.note("'" + std::string(r.java) + "' = " + std::to_string(v) +
                 " is outside librdkafka's range for '" + std::string(rd_name) + "' (" +
                 std::to_string(lo) + ".." + std::to_string(hi) + "); using " + std::to_string(c));
    }
    return c;
}

Status text(Context& ctx, const Rule& r, const std::string& value) {
    if (!value.empty()) {
        ctx.emit(r.rd, value);
    }
    return {};
}

Status server_list(Context& ctx, const Rule& r, const std::string& value) {
    auto servers = strings::split_list(value);
    if (servers.empty()) {
        return invalid(r.java, value, "expected a list of host:port pairs");
    }
    ctx.emit(r.rd, strings::join(servers, ","));
    return {};
}

Status boolean(Context& ctx, const Rule& r, const std::string& value) {
    bool b = false;
    if (!strings::parse_bool(value, b)) {
        return invalid(r.java, value, "expected true or false");
    }
    ctx.emit(r.rd, b ? "true" : "false");
    return {};
}

Status integer(Context& ctx, const Rule& r, const std::string& value) {
    auto v = java_integer(r, value);
    if (!v) {
        return v.error();
    }
    ctx.emit(r.rd, std::to_string(clamp_to_rd(ctx, r, r.rd, *v, r.rd_min, r.rd_max)));
    return {};
}

// Java's -1 ("use the OS default") is librdkafka's 0.
Status socket_buffer(Context& ctx, const Rule& r, const std::string& value) {
    auto v = java_integer(r, value);
    if (!v) {
        return v.error();
    }
    const long long bytes = *v == -1 ? 0 : *v;
    ctx.emit(r.rd, std::to_string(clamp_to_rd(ctx, r, r.rd, bytes, r.rd_min, r.rd_max)));
    return {};
}

// A negative Java value never closes idle connections, which is librdkafka's 0.
Status idle_timeout(Context& ctx, const Rule& r, const std::string& value) {
    auto v = java_integer(r, value);
    if (!v) {
        return v.error();
    }
    const long long ms = *v < 0 ? 0 : *v;
    ctx.emit(r.rd, std::to_string(clamp_to_rd(ctx, r, r.rd, ms, r.rd_min, r.rd_max)));
    return {};
}

// Java counts bytes, librdkafka kilobytes; rounding up keeps at least the memory Java allowed.
Status buffer_memory(Context& ctx, const Rule& r, const std::string& value) {
    auto v = java_integer(r, value);
    if (!v) {
        return v.error();
    }
    const long long kbytes = *v / 1024 + (*v % 1024 != 0 ? 1 : 0);
    ctx.emit(r.rd, std::to_string(clamp_to_rd(ctx, r, r.rd, kbytes, r.rd_min, r.rd_max)));
    return {};
}

// Java's request.timeout.ms bounds every request on the client side (socket.timeout.ms); for
// the producer it is also the acknowledgement timeout sent to the broker, which librdkafka
// calls request.timeout.ms (a producer-only property there).
Status request_timeout(Context& ctx, const Rule& r, const std::string& value) {
    auto v = java_integer(r, value);
    if (!v) {
        return v.error();
    }
    ctx.emit("socket.timeout.ms",
             std::to_string(clamp_to_rd(ctx, r, "socket.timeout.ms", *v, 10, 300000)));
    if (ctx.role == ClientRole::producer) {
        ctx.emit("request.timeout.ms",
                 std::to_string(clamp_to_rd(ctx, r, "request.timeout.ms", *v, 1, 900000)));
    }
    return {};
}

// Java enums are matched case-insensitively; librdkafka gets the lower-case spelling.
Status lowercase_enum(Context& ctx, const Rule& r, const std::string& value) {
    const std::string v = strings::to_lower(value);
    for (const auto& choice : strings::split_list(r.choices)) {
        if (v == choice) {
            ctx.emit(r.rd, v);
            return {};
        }
    }
    return invalid(r.java, value, "expected one of " + std::string(r.choices));
}

Status acks(Context& ctx, const Rule& r, const std::string& value) {
    const std::string v = strings::to_lower(value);
    if (v == "all" || v == "-1" || v == "0" || v == "1") {
        ctx.emit(r.rd, v);
        return {};
    }
    return invalid(r.java, value, "expected all, -1, 0 or 1");
}

Status auto_offset_reset(Context& ctx, const Rule& r, const std::string& value) {
    const std::string v = strings::to_lower(value);
    if (v == "earliest" || v == "latest") {
        ctx.emit(r.rd, v);
        return {};
    }
    if (v == "none") {
        // Both report a missing committed offset to the application instead of resetting.
        ctx.emit(r.rd, "error");
        return {};
    }
    if (strings::starts_with(v, "by_duration:")) {
        return invalid(r.java, value,
                       "by_duration has no librdkafka equivalent; use earliest, "
                       "latest or none");
    }
    return invalid(r.java, value, "expected earliest, latest or none");
}

Status assignment_strategy(Context& ctx, const Rule& r, const std::string& value) {
    struct Assignor {
        std::string_view java_class;
        std::string_view rd;
        bool cooperative;
    };
    static constexpr std::array<Assignor, 3> kAssignors{{
        {"org.apache.kafka.clients.consumer.RangeAssignor", "range", false},
        {"org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin", false},
        {"org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "cooperative-sticky", true},
    }};
    std::vector<std::string> names;
    bool eager = false;
    bool cooperative = false;
    for (const auto& cls : strings::split_list(value)) {
        auto it = std::find_if(kAssignors.begin(), kAssignors.end(),
                               [&](const Assignor& a) { return a.java_class == cls; });
        if (it == kAssignors.end()) {
            return invalid(r.java, value,
                           "assignor " + shown_class(cls) +
                               " has no librdkafka equivalent; use RangeAssignor, "
                               "RoundRobinAssignor or CooperativeStickyAssignor from "
                               "org.apache.kafka.clients.consumer");
        }
        if (std::find(names.begin(), names.end(), it->rd) == names.end()) {
            names.emplace_back(it->rd);
        }
        (it->cooperative ? cooperative : eager) = true;
    }
    if (eager && cooperative) {
        return invalid(r.java, value,
                       "librdkafka cannot mix eager (Range, RoundRobin) and cooperative "
                       "assignors in one consumer; list only one kind");
    }
    if (!names.empty()) {
        ctx.emit(r.rd, strings::join(names, ","));
    }
    return {};
}

// Java has one level per codec; librdkafka one level for whichever codec is configured.
Status compression_level(Context& ctx, const Rule& r, const std::string& value) {
    const std::string codec = strings::to_lower(ctx.get("compression.type"));
    if (codec != r.choices) {
        ctx.ignore(std::string(r.java));
        return {};
    }
    auto v = java_integer(r, value);
    if (!v) {
        return v.error();
    }
    ctx.emit(r.rd, std::to_string(clamp_to_rd(ctx, r, r.rd, *v, -1, 12)));
    return {};
}

Status consumed(Context&, const Rule&, const std::string&) {
    return {};
}

// ---- security ---------------------------------------------------------------------------------

Status security_protocol(Context& ctx, const Rule& r, const std::string& value) {
    ctx.emit(r.rd, strings::to_lower(value)); // validated when the plan was made
    return {};
}

Status sasl_mechanism(Context& ctx, const Rule& r, const std::string&) {
    ctx.emit(r.rd, ctx.plan.iam ? std::string("OAUTHBEARER") : ctx.plan.mechanism);
    return {};
}

Status sasl_jaas_config(Context& ctx, const Rule&, const std::string&) {
    const SecurityPlan& plan = ctx.plan;
    if (!plan.jaas || plan.iam) {
        return {};
    }
    const JaasEntry& jaas = *plan.jaas;
    auto option = [&](const char* name) {
        auto it = jaas.options.find(name);
        return it == jaas.options.end() ? std::string() : it->second;
    };
    if (jaas.login_module == kPlainModule || jaas.login_module == kScramModule) {
        ctx.emit("sasl.username", option("username"));
        ctx.emit("sasl.password", option("password"));
    } else if (jaas.login_module == kKrb5Module) {
        if (!option("principal").empty()) {
            ctx.emit("sasl.kerberos.principal", option("principal"));
        }
        if (!option("keyTab").empty()) {
            ctx.emit("sasl.kerberos.keytab", option("keyTab"));
        }
        // Java falls back to the JAAS serviceName when sasl.kerberos.service.name is not set.
        if (!option("serviceName").empty() && !ctx.has("sasl.kerberos.service.name")) {
            ctx.emit("sasl.kerberos.service.name", option("serviceName"));
        }
    }
    return {};
}

Status iam_handler(Context& ctx, const Rule& r, const std::string& value) {
    if (!(ctx.plan.iam && (value == kIamClientHandler || value == kIamLoginHandler))) {
        ctx.ignore(std::string(r.java));
    }
    return {};
}

Status kerberos_text(Context& ctx, const Rule& r, const std::string& value) {
    if (ctx.plan.mechanism != "GSSAPI") {
        ctx.ignore(std::string(r.java));
        return {};
    }
    return text(ctx, r, value);
}

Status kerberos_integer(Context& ctx, const Rule& r, const std::string& value) {
    if (ctx.plan.mechanism != "GSSAPI") {
        ctx.ignore(std::string(r.java));
        return {};
    }
    return integer(ctx, r, value);
}

// Java names the kinit binary; librdkafka wants the whole command line.
Status kerberos_kinit_cmd(Context& ctx, const Rule& r, const std::string& value) {
    if (ctx.plan.mechanism != "GSSAPI") {
        ctx.ignore(std::string(r.java));
        return {};
    }
    if (!value.empty()) {
        const std::string args = " -t \"%{sasl.kerberos.keytab}\" -k %{sasl.kerberos.principal}";
        ctx.emit(r.rd, value + " -R" + args + " || " + value + args);
    }
    return {};
}

Status truststore_location(Context& ctx, const Rule&, const std::string& value) {
    ctx.emit("ssl.ca.location", value); // plan: PEM only
    return {};
}

Status truststore_certificates(Context& ctx, const Rule&, const std::string& value) {
    ctx.emit("ssl.ca.pem", value);
    return {};
}

Status keystore_location(Context& ctx, const Rule&, const std::string& value) {
    if (ctx.plan.keystore_type == "PKCS12") {
        ctx.emit("ssl.keystore.location", value);
    } else { // PEM: the file holds the key and the certificate chain
        ctx.emit("ssl.key.location", value);
        ctx.emit("ssl.certificate.location", value);
    }
    return {};
}

Status keystore_password(Context& ctx, const Rule&, const std::string& value) {
    if (ctx.plan.keystore_type == "PKCS12" && ctx.has("ssl.keystore.location")) {
        ctx.emit("ssl.keystore.password", value);
    }
    return {};
}

Status key_password(Context& ctx, const Rule& r, const std::string& value) {
    if (ctx.plan.keystore_type == "PEM" &&
        (ctx.has("ssl.keystore.location") || ctx.has("ssl.keystore.key"))) {
        ctx.emit("ssl.key.password", value);
    } else if (ctx.plan.keystore_type == "PKCS12" && ctx.has("ssl.keystore.location") &&
               value != ctx.get("ssl.keystore.password")) {
        ctx.note("'" + std::string(r.java) +
                 "' differs from 'ssl.keystore.password'; librdkafka opens the PKCS12 key store "
                 "with ssl.keystore.password only");
    }
    return {};
}

Status keystore_key(Context& ctx, const Rule&, const std::string& value) {
    ctx.emit("ssl.key.pem", value);
    return {};
}

Status keystore_certificate_chain(Context& ctx, const Rule& r, const std::string& value) {
    size_t certificates = 0;
    for (size_t pos = value.find("-----BEGIN CERTIFICATE-----"); pos != std::string::npos;
         pos = value.find("-----BEGIN CERTIFICATE-----", pos + 1)) {
        ++certificates;
    }
    if (certificates > 1) {
        ctx.note("'" + std::string(r.java) +
                 "': librdkafka 2.0.2 sends only the first certificate of ssl.certificate.pem; "
                 "if the broker needs the intermediate certificates, put key and chain in a PEM "
                 "file and use ssl.keystore.location");
    }
    ctx.emit("ssl.certificate.pem", value);
    return {};
}

Status endpoint_identification(Context& ctx, const Rule& r, const std::string& value) {
    const std::string v = strings::to_lower(value);
    if (v.empty()) {
        ctx.emit(r.rd, "none");
    } else if (v == "https") {
        ctx.emit(r.rd, "https");
    } else {
        return invalid(r.java, value, "expected https, or an empty value to turn it off");
    }
    return {};
}

// Java lists IANA names, OpenSSL has its own. Java's TLS 1.2 suites that OpenSSL 3 implements
// (checked with `openssl ciphers -stdname`).
constexpr std::array<std::pair<std::string_view, std::string_view>, 35> kCipherSuites{{
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384"},
    {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256"},
    {"TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305"},
    {"TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "DHE-DSS-AES256-GCM-SHA384"},
    {"TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "DHE-DSS-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"},
    {"TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256"},
    {"TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256"},
    {"TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "DHE-DSS-AES256-SHA256"},
    {"TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", "DHE-DSS-AES128-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA"},
    {"TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA"},
    {"TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "DHE-DSS-AES256-SHA"},
    {"TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "DHE-DSS-AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM"},
}};

bool is_tls13_suite(std::string_view name) {
    return name == "TLS_AES_128_GCM_SHA256" || name == "TLS_AES_256_GCM_SHA384" ||
           name == "TLS_CHACHA20_POLY1305_SHA256" || name == "TLS_AES_128_CCM_SHA256" ||
           name == "TLS_AES_128_CCM_8_SHA256";
}

Status cipher_suites(Context& ctx, const Rule& r, const std::string& value) {
    std::vector<std::string> openssl;
    std::vector<std::string> tls13;
    std::vector<std::string> unknown;
    for (const auto& name : strings::split_list(value)) {
        auto it = std::find_if(kCipherSuites.begin(), kCipherSuites.end(),
                               [&](const auto& p) { return p.first == name; });
        if (it != kCipherSuites.end()) {
            openssl.emplace_back(it->second);
        } else if (is_tls13_suite(name)) {
            tls13.push_back(name);
        } else if (name != "TLS_EMPTY_RENEGOTIATION_INFO_SCSV") { // a signal, not a suite
            unknown.push_back(name);
        }
    }
    const std::string key(r.java);
    if (openssl.empty() && tls13.empty()) {
        if (unknown.empty()) {
            return {}; // an empty list means Java's defaults, as it does for OpenSSL
        }
        return invalid(key, value, "none of these cipher suites is available in OpenSSL");
    }
    if (!unknown.empty()) {
        ctx.note("'" + key + "': cipher suites not available in OpenSSL are left out: " +
                 strings::join(unknown, ", "));
    }
    if (!tls13.empty()) {
        ctx.note(
            "'" + key +
            "': librdkafka cannot restrict TLS 1.3 cipher suites; OpenSSL's "
            "TLS 1.3 defaults apply" +
            std::string(openssl.empty() ? ", and TLS 1.2 suites are not restricted either" : ""));
    }
    if (!openssl.empty()) {
        ctx.emit(r.rd, strings::join(openssl, ":"));
    }
    return {};
}

constexpr long long kIntMax = INT32_MAX;
constexpr long long kNoMin = LLONG_MIN;

Rule row(std::string_view java, unsigned roles, Handler handler, std::string_view rd = {}) {
    return Rule{.java = java, .roles = roles, .handler = handler, .rd = rd};
}

// An integer: librdkafka's range, then Java's lower bound and Java type.
Rule num(std::string_view java, unsigned roles, Handler handler, std::string_view rd,
         long long rd_min, long long rd_max, long long java_min, JavaType type) {
    return Rule{.java = java,
                .roles = roles,
                .handler = handler,
                .rd = rd,
                .rd_min = rd_min,
                .rd_max = rd_max,
                .java_min = java_min,
                .type = type};
}

Rule pick(std::string_view java, unsigned roles, Handler handler, std::string_view rd,
          std::string_view choices) {
    Rule r = row(java, roles, handler, rd);
    r.choices = choices;
    return r;
}

Rule keep_empty(Rule r) {
    r.empty_is_value = true;
    return r;
}

// One row per Java client setting that has a librdkafka equivalent. Java settings without one
// (max.poll.records, key.serializer, interceptor.classes, ssl.enabled.protocols, ...) need no
// row: every key not found here is reported as ignored.
const std::vector<Rule>& rules() {
    constexpr JavaType I = JavaType::int32;
    constexpr JavaType L = JavaType::int64;
    static const std::vector<Rule> kRules = {
        // Common to all clients.
        keep_empty(row("bootstrap.servers", kAll, server_list, "bootstrap.servers")),
        row("client.id", kAll, text, "client.id"),
        num("metadata.max.age.ms", kAll, integer, "topic.metadata.refresh.interval.ms", -1, 3600000,
            0, L),
        num("send.buffer.bytes", kAll, socket_buffer, "socket.send.buffer.bytes", 0, 100000000, -1,
            I),
        num("receive.buffer.bytes", kAll, socket_buffer, "socket.receive.buffer.bytes", 0,
            100000000, -1, I),
        num("reconnect.backoff.ms", kAll, integer, "reconnect.backoff.ms", 0, 3600000, 0, L),
        num("reconnect.backoff.max.ms", kAll, integer, "reconnect.backoff.max.ms", 0, 3600000, 0,
            L),
        num("connections.max.idle.ms", kAll, idle_timeout, "connections.max.idle.ms", 0, kIntMax,
            kNoMin, L),
        num("request.timeout.ms", kAll, request_timeout, "", 0, 0, 0, I),
        // Java's setup timeout grows from socket.connection.setup.timeout.ms up to this maximum;
        // librdkafka has one fixed limit, which is closest to the maximum.
        num("socket.connection.setup.timeout.max.ms", kAll, integer,
            "socket.connection.setup.timeout.ms", 1000, kIntMax, kNoMin, L),
        // librdkafka 2.0.2 has retry.backoff.ms for the producer only.
        num("retry.backoff.ms", kProducer, integer, "retry.backoff.ms", 1, 300000, 0, L),

        // Consumer.
        row("group.id", kConsumer, text, "group.id"),
        row("group.instance.id", kConsumer, text, "group.instance.id"),
        row("client.rack", kConsumer, text, "client.rack"),
        num("session.timeout.ms", kConsumer, integer, "session.timeout.ms", 1, 3600000, kNoMin, I),
        num("heartbeat.interval.ms", kConsumer, integer, "heartbeat.interval.ms", 1, 3600000,
            kNoMin, I),
        num("max.poll.interval.ms", kConsumer, integer, "max.poll.interval.ms", 1, 86400000, 1, I),
        row("enable.auto.commit", kConsumer, boolean, "enable.auto.commit"),
        num("auto.commit.interval.ms", kConsumer, integer, "auto.commit.interval.ms", 0, 86400000,
            0, I),
        row("auto.offset.reset", kConsumer, auto_offset_reset, "auto.offset.reset"),
        row("partition.assignment.strategy", kConsumer, assignment_strategy,
            "partition.assignment.strategy"),
        num("fetch.min.bytes", kConsumer, integer, "fetch.min.bytes", 1, 100000000, 0, I),
        num("fetch.max.bytes", kConsumer, integer, "fetch.max.bytes", 0, 2147483135, 0, I),
        num("fetch.max.wait.ms", kConsumer, integer, "fetch.wait.max.ms", 0, 300000, 0, I),
        num("max.partition.fetch.bytes", kConsumer, integer, "max.partition.fetch.bytes", 1,
            1000000000, 0, I),
        row("check.crcs", kConsumer, boolean, "check.crcs"),
        pick("isolation.level", kConsumer, lowercase_enum, "isolation.level",
             "read_uncommitted,read_committed"),
        row("allow.auto.create.topics", kConsumer, boolean, "allow.auto.create.topics"),

        // Producer.
        row("acks", kProducer, acks, "acks"),
        row("enable.idempotence", kProducer, boolean, "enable.idempotence"),
        num("max.in.flight.requests.per.connection", kProducer, integer,
            "max.in.flight.requests.per.connection", 1, 1000000, 1, I),
        num("retries", kProducer, integer, "retries", 0, kIntMax, 0, I),
        num("delivery.timeout.ms", kProducer, integer, "delivery.timeout.ms", 0, kIntMax, 0, I),
        num("batch.size", kProducer, integer, "batch.size", 1, kIntMax, 0, I),
        num("linger.ms", kProducer, integer, "linger.ms", 0, 900000, 0, L),
        num("buffer.memory", kProducer, buffer_memory, "queue.buffering.max.kbytes", 1, kIntMax, 0,
            L),
        num("max.request.size", kProducer, integer, "message.max.bytes", 1000, 1000000000, 0, I),
        pick("compression.type", kProducer, lowercase_enum, "compression.type",
             "none,gzip,snappy,lz4,zstd"),
        // For the levels, the choice is the codec the level belongs to.
        pick("compression.gzip.level", kProducer, compression_level, "compression.level", "gzip"),
        pick("compression.lz4.level", kProducer, compression_level, "compression.level", "lz4"),
        pick("compression.zstd.level", kProducer, compression_level, "compression.level", "zstd"),
        row("transactional.id", kProducer, text, "transactional.id"),
        num("transaction.timeout.ms", kProducer, integer, "transaction.timeout.ms", 1000, kIntMax,
            kNoMin, I),

        // Security. ssl.* rows apply only with SSL/SASL_SSL and sasl.* rows only with SASL_*;
        // the security plan has already checked how they combine.
        row("security.protocol", kAll, security_protocol, "security.protocol"),
        row("sasl.mechanism", kAll, sasl_mechanism, "sasl.mechanisms"),
        row("sasl.jaas.config", kAll, sasl_jaas_config),
        row("sasl.client.callback.handler.class", kAll, iam_handler),
        row("sasl.login.callback.handler.class", kAll, iam_handler),
        row("sasl.kerberos.service.name", kAll, kerberos_text, "sasl.kerberos.service.name"),
        row("sasl.kerberos.kinit.cmd", kAll, kerberos_kinit_cmd, "sasl.kerberos.kinit.cmd"),
        num("sasl.kerberos.min.time.before.relogin", kAll, kerberos_integer,
            "sasl.kerberos.min.time.before.relogin", 0, 86400000, kNoMin, L),
        row("ssl.truststore.type", kAll, consumed),
        row("ssl.truststore.location", kAll, truststore_location),
        row("ssl.truststore.certificates", kAll, truststore_certificates),
        row("ssl.truststore.password", kAll, consumed),
        row("ssl.keystore.type", kAll, consumed),
        row("ssl.keystore.location", kAll, keystore_location),
        row("ssl.keystore.password", kAll, keystore_password),
        row("ssl.keystore.key", kAll, keystore_key),
        row("ssl.keystore.certificate.chain", kAll, keystore_certificate_chain),
        row("ssl.key.password", kAll, key_password),
        keep_empty(row("ssl.endpoint.identification.algorithm", kAll, endpoint_identification,
                       "ssl.endpoint.identification.algorithm")),
        row("ssl.cipher.suites", kAll, cipher_suites, "ssl.cipher.suites"),
    };
    return kRules;
}

const Rule* find_rule(std::string_view java) {
    for (const Rule& r : rules()) {
        if (r.java == java) {
            return &r;
        }
    }
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// The security plan: decided from all keys together before any is translated, because one key's
// meaning depends on others (keystore type, mechanism, login module).

Status plan_ssl(Context& ctx) {
    SecurityPlan& plan = ctx.plan;
    for (auto [key, type] : {std::pair{"ssl.truststore.type", &plan.truststore_type},
                             std::pair{"ssl.keystore.type", &plan.keystore_type}}) {
        if (ctx.has(key)) {
            *type = upper(ctx.get(key));
            if (*type != "JKS" && *type != "PKCS12" && *type != "PEM") {
                return invalid(key, ctx.get(key), "expected JKS, PKCS12 or PEM");
            }
        }
    }

    const bool trust_location = ctx.has("ssl.truststore.location");
    const bool trust_certs = ctx.has("ssl.truststore.certificates");
    if (trust_location && trust_certs) {
        return make_error("Both 'ssl.truststore.location' and 'ssl.truststore.certificates' are "
                          "set; use one of them");
    }
    if (trust_certs && plan.truststore_type != "PEM") {
        return make_error("'ssl.truststore.certificates' needs ssl.truststore.type=PEM (it is " +
                          plan.truststore_type + ")");
    }
    if (plan.truststore_type == "PEM" && (trust_location || trust_certs) &&
        ctx.has("ssl.truststore.password")) {
        return make_error("'ssl.truststore.password' cannot be used with a PEM trust store");
    }
    if (trust_location && plan.truststore_type == "JKS") {
        return make_error("'ssl.truststore.location': the trust store type is JKS (Java's "
                          "default when ssl.truststore.type is not set). " +
                          std::string(kJksHelpTrust));
    }
    if (trust_location && plan.truststore_type == "PKCS12") {
        return make_error("'ssl.truststore.location': the trust store type is PKCS12. " +
                          std::string(kJksHelpTrust));
    }

    const bool key_location = ctx.has("ssl.keystore.location");
    const bool key_pem = ctx.has("ssl.keystore.key");
    const bool chain_pem = ctx.has("ssl.keystore.certificate.chain");
    if (key_location && (key_pem || chain_pem)) {
        return make_error("Both 'ssl.keystore.location' and 'ssl.keystore.key'/"
                          "'ssl.keystore.certificate.chain' are set; use one of them");
    }
    if (key_pem != chain_pem) {
        return make_error("'ssl.keystore.key' and 'ssl.keystore.certificate.chain' must be set "
                          "together");
    }
    if (key_pem && plan.keystore_type != "PEM") {
        return make_error("'ssl.keystore.key' needs ssl.keystore.type=PEM (it is " +
                          plan.keystore_type + ")");
    }
    if (plan.keystore_type == "PEM" && (key_location || key_pem) &&
        ctx.has("ssl.keystore.password")) {
        return make_error("'ssl.keystore.password' cannot be used with a PEM key store; only "
                          "ssl.key.password (for an encrypted key) can");
    }
    if (key_location && plan.keystore_type == "JKS") {
        return make_error("'ssl.keystore.location': the key store type is JKS (Java's default "
                          "when ssl.keystore.type is not set). " +
                          std::string(kJksHelpKey));
    }
    return {};
}

Status plan_sasl(Context& ctx) {
    SecurityPlan& plan = ctx.plan;
    if (ctx.has("sasl.mechanism")) {
        plan.mechanism = upper(ctx.get("sasl.mechanism"));
    }
    const std::string& mech = plan.mechanism;
    const bool scram_or_plain =
        mech == "PLAIN" || mech == "SCRAM-SHA-256" || mech == "SCRAM-SHA-512";
    if (!scram_or_plain && mech != "GSSAPI" && mech != "OAUTHBEARER" && mech != "AWS_MSK_IAM") {
        return invalid("sasl.mechanism", ctx.get("sasl.mechanism"),
                       "expected GSSAPI, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or "
                       "AWS_MSK_IAM");
    }
    if (ctx.has("sasl.jaas.config")) {
        auto jaas = parse_jaas_config(ctx.get("sasl.jaas.config"));
        if (!jaas) {
            return make_error("'sasl.jaas.config': " + jaas.error().message);
        }
        plan.jaas = std::move(jaas).value();
    }
    const std::string module = plan.jaas ? plan.jaas->login_module : std::string();
    const std::string mechanism_text =
        ctx.has("sasl.mechanism") ? mech
                                  : std::string("GSSAPI (Java's default; sasl.mechanism is not "
                                                "set)");
    auto mismatch = [&](std::string_view expected) {
        return make_error("'sasl.jaas.config': login module " + shown_class(module) +
                          " does not match the SASL mechanism " + mechanism_text + "; expected " +
                          std::string(expected));
    };

    if (mech == "AWS_MSK_IAM" ||
        (mech == "OAUTHBEARER" &&
         (module == kIamModule ||
          ctx.get("sasl.login.callback.handler.class") == kIamLoginHandler))) {
        if (plan.jaas && module != kIamModule && module != kOAuthModule) {
            return mismatch(kIamModule);
        }
        if (mech == "AWS_MSK_IAM" && module == kOAuthModule) {
            return mismatch(kIamModule);
        }
        plan.iam = true;
        ctx.out.aws_msk_iam = plan.jaas ? to_jaas_config(*plan.jaas)
                                        : to_jaas_config({std::string(kIamModule), "required", {}});
        return {};
    }
    if (mech == "OAUTHBEARER") {
        return make_error("'sasl.mechanism': OAUTHBEARER is supported for AWS MSK IAM only "
                          "(sasl.login.callback.handler.class=" +
                          std::string(kIamLoginHandler) +
                          "); the system librdkafka has no OIDC support and Kafka's unsecured "
                          "tokens are not translated");
    }
    if (scram_or_plain) {
        if (!plan.jaas) {
            return make_error("'sasl.jaas.config' is missing: the SASL mechanism " + mech +
                              " needs credentials (JAAS files given with "
                              "-Djava.security.auth.login.config are not read)");
        }
        if (module != kPlainModule && module != kScramModule) {
            return mismatch(mech == "PLAIN" ? kPlainModule : kScramModule);
        }
        const auto& options = plan.jaas->options;
        if (!options.count("username") || !options.count("password")) {
            return make_error("'sasl.jaas.config': login module " + shown_class(module) +
                              " needs the options username and password");
        }
        auto tokenauth = options.find("tokenauth");
        if (tokenauth != options.end() && strings::to_lower(tokenauth->second) == "true") {
            return make_error("'sasl.jaas.config': tokenauth=true (delegation tokens) has no "
                              "librdkafka equivalent");
        }
        return {};
    }
    // GSSAPI
    if (plan.jaas && module != kKrb5Module) {
        return mismatch(kKrb5Module);
    }
    return {};
}

Status plan_security(Context& ctx) {
    std::string protocol = "PLAINTEXT";
    if (ctx.has("security.protocol")) {
        protocol = upper(ctx.get("security.protocol"));
        if (protocol != "PLAINTEXT" && protocol != "SSL" && protocol != "SASL_PLAINTEXT" &&
            protocol != "SASL_SSL") {
            return invalid("security.protocol", ctx.get("security.protocol"),
                           "expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
        }
    }
    ctx.plan.ssl = protocol == "SSL" || protocol == "SASL_SSL";
    ctx.plan.sasl = protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL";
    if (ctx.plan.ssl) {
        if (auto s = plan_ssl(ctx); !s) {
            return s;
        }
    }
    if (ctx.plan.sasl) {
        if (auto s = plan_sasl(ctx); !s) {
            return s;
        }
    }
    return {};
}

// Server-side settings that share the ssl./sasl. prefixes but are not client settings.
constexpr std::array<std::string_view, 10> kBrokerOnlySecurityNames{
    "ssl.client.auth",
    "ssl.principal.mapping.rules",
    "ssl.allow.dn.changes",
    "ssl.allow.san.changes",
    "sasl.enabled.mechanisms",
    "sasl.mechanism.inter.broker.protocol",
    "sasl.mechanism.controller.protocol",
    "sasl.server.callback.handler.class",
    "sasl.server.max.receive.size",
    "sasl.kerberos.principal.to.local.rules",
};

} // namespace

Result<TranslatedConfig> translate_java_client_config(const Properties& java, ClientRole role) {
    Context ctx{java, role, {}, {}};
    if (auto s = plan_security(ctx); !s) {
        return s.error();
    }
    for (const std::string& key : java.keys()) {
        const Rule* rule = find_rule(key);
        const bool applies = rule != nullptr && (rule->roles & role_bit(role)) != 0 &&
                             (!strings::starts_with(key, "ssl.") || ctx.plan.ssl) &&
                             (!strings::starts_with(key, "sasl.") || ctx.plan.sasl);
        if (!applies) {
            ctx.ignore(key);
            continue;
        }
        const std::string value = ctx.get(key);
        if (value.empty() && !rule->empty_is_value) {
            continue;
        }
        if (auto s = rule->handler(ctx, *rule, value); !s) {
            return s.error();
        }
    }
    return std::move(ctx.out);
}

bool is_client_config_name(std::string_view name) {
    if (name == "bootstrap.servers" || name == "security.protocol") {
        return true;
    }
    if (!strings::starts_with(name, "ssl.") && !strings::starts_with(name, "sasl.")) {
        return false;
    }
    return std::find(kBrokerOnlySecurityNames.begin(), kBrokerOnlySecurityNames.end(), name) ==
           kBrokerOnlySecurityNames.end();
}

std::vector<std::string> translated_java_names(ClientRole role) {
    std::vector<std::string> names;
    for (const Rule& r : rules()) {
        if ((r.roles & role_bit(role)) != 0) {
            names.emplace_back(r.java);
        }
    }
    return names;
}

} // namespace kmirror::kafka
