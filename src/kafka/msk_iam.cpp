#include "kafka/msk_iam.h"

#include "kafka/jaas.h"
#include "util/log.h"
#include "util/strings.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <regex>

namespace kmirror::kafka::msk_iam {
namespace {

constexpr std::string_view kConfigPrefix = "kmirror-msk-iam/";

struct Registry {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<TokenProvider>> providers; // by sasl.oauthbearer.config
    std::map<std::string, std::string> by_options;                   // options key → config
    uint64_t next = 1;
};

Registry& registry() {
    static Registry r;
    return r;
}

std::shared_ptr<TokenProvider> lookup(const char* config) {
    if (config == nullptr) {
        return nullptr;
    }
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.providers.find(config);
    return it == r.providers.end() ? nullptr : it->second;
}

void refresh_cb(rd_kafka_t* rk, const char* oauthbearer_config, void* /*opaque*/) {
    auto provider = lookup(oauthbearer_config);
    if (!provider) {
        rd_kafka_oauthbearer_set_token_failure(rk, "AWS MSK IAM: no token provider registered");
        return;
    }
    auto token = provider->token();
    if (!token) {
        const std::string message = "AWS MSK IAM: " + token.error().message;
        log::warn(std::string(rd_kafka_name(rk)) + ": " + message);
        rd_kafka_oauthbearer_set_token_failure(rk, message.c_str());
        return;
    }
    char errstr[512];
    if (rd_kafka_oauthbearer_set_token(rk, token->value.c_str(), token->lifetime_ms,
                                       std::string(kPrincipal).c_str(), nullptr, 0, errstr,
                                       sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const std::string message = std::string("AWS MSK IAM: token refused: ") + errstr;
        log::warn(std::string(rd_kafka_name(rk)) + ": " + message);
        rd_kafka_oauthbearer_set_token_failure(rk, message.c_str());
    }
}

class ChainTokenProvider : public TokenProvider {
public:
    ChainTokenProvider(aws::ProviderPtr credentials, std::string region,
                       std::function<sigv4::TimePoint()> now)
        : cache_(std::move(credentials), now), region_(std::move(region)), now_(std::move(now)) {}
    Result<Token> token() override {
        auto creds = cache_.get();
        if (!creds) {
            return make_error("cannot get AWS credentials: " + creds.error().message);
        }
        return make_token(*creds, region_, now_());
    }

private:
    aws::CachedCredentials cache_;
    std::string region_;
    std::function<sigv4::TimePoint()> now_;
};

bool looks_like_region(std::string_view label) {
    static const std::regex kRegion("(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso[a-z]?)?-"
                                    "(north|south|east|west|central|northeast|northwest|"
                                    "southeast|southwest)-[0-9]");
    return std::regex_match(label.begin(), label.end(), kRegion);
}

} // namespace

std::string base64url_nopad(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                           static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(kAlphabet[(v >> 6) & 63]);
        out.push_back(kAlphabet[v & 63]);
    }
    if (i < bytes.size()) {
        uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (i + 1 < bytes.size()) {
            v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        }
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        if (i + 1 < bytes.size()) {
            out.push_back(kAlphabet[(v >> 6) & 63]);
        }
    }
    return out;
}

Token make_token(const sigv4::Credentials& credentials, const std::string& region,
                 sigv4::TimePoint now, std::string_view user_agent) {
    const auto signed_at = std::chrono::time_point_cast<std::chrono::seconds>(now);
    sigv4::Request req;
    req.method = "GET";
    req.host = "kafka." + region + ".amazonaws.com";
    req.path = "/";
    req.query = {{"Action", "kafka-cluster:Connect"}};
    const auto s =
        sigv4::presign(req, credentials, {region, "kafka-cluster", signed_at}, kTokenExpiry);
    // The parameters in the order AWS's Python signer (botocore) writes them, so the token is
    // byte-identical to it; the broker sorts them anyway. User-Agent is not signed.
    const std::string date = sigv4::amz_date(signed_at);
    sigv4::Params ordered{{"Action", "kafka-cluster:Connect"},
                          {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                          {"X-Amz-Credential", credentials.access_key_id + "/" + date.substr(0, 8) +
                                                   "/" + region + "/kafka-cluster/aws4_request"},
                          {"X-Amz-Date", date},
                          {"X-Amz-Expires", std::to_string(kTokenExpiry.count())},
                          {"X-Amz-SignedHeaders", "host"}};
    if (!credentials.session_token.empty()) {
        ordered.emplace_back("X-Amz-Security-Token", credentials.session_token);
    }
    ordered.emplace_back("X-Amz-Signature", s.signature);
    ordered.emplace_back("User-Agent", std::string(user_agent));
    Token t;
    t.url = "https://" + req.host + "/?";
    for (size_t i = 0; i < ordered.size(); ++i) {
        t.url += (i == 0 ? "" : "&") + sigv4::uri_encode(ordered[i].first) + "=" +
                 sigv4::uri_encode(ordered[i].second);
    }
    t.value = base64url_nopad(t.url);
    auto lifetime = signed_at + kTokenExpiry;
    if (credentials.expiration && *credentials.expiration < lifetime) {
        lifetime = std::chrono::time_point_cast<std::chrono::seconds>(*credentials.expiration);
    }
    t.lifetime_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(lifetime.time_since_epoch()).count();
    return t;
}

std::optional<std::string> region_from_bootstrap(std::string_view bootstrap_servers) {
    for (const auto& server : strings::split_list(bootstrap_servers)) {
        std::string host = server;
        if (!host.empty() && host[0] == '[') {
            continue; // IPv6 literal
        }
        host = strings::to_lower(host.substr(0, host.rfind(':')));
        const auto labels = strings::split_list(host, '.');
        for (size_t i = 0; i + 2 < labels.size(); ++i) {
            if ((labels[i] == "kafka" || labels[i] == "kafka-serverless") &&
                labels[i + 2] == "amazonaws") {
                return labels[i + 1];
            }
        }
        for (const auto& label : labels) {
            if (looks_like_region(label)) {
                return label;
            }
        }
    }
    return std::nullopt;
}

Result<Options> parse_options(const std::string& jaas_entry, const std::string& bootstrap_servers,
                              const Properties& extra, const aws::EnvLookup& env) {
    auto jaas = parse_jaas_config(jaas_entry);
    if (!jaas) {
        return make_error("'sasl.jaas.config': " + jaas.error().message);
    }
    auto option = [&](const char* name) {
        auto it = jaas->options.find(name);
        return it == jaas->options.end() ? std::string() : std::string(strings::trim(it->second));
    };
    Options o;
    o.profile = option("awsProfileName");
    o.role_arn = option("awsRoleArn");
    o.role_session_name = option("awsRoleSessionName");
    o.role_external_id = option("awsRoleExternalId");
    o.sts_region = option("awsStsRegion");
    if (!option("awsRoleAccessKeyId").empty() || !option("awsRoleSecretAccessKey").empty()) {
        if (option("awsRoleAccessKeyId").empty() || option("awsRoleSecretAccessKey").empty()) {
            return make_error("'sasl.jaas.config': awsRoleAccessKeyId and awsRoleSecretAccessKey "
                              "must be set together");
        }
        if (o.role_arn.empty()) {
            return make_error("'sasl.jaas.config': awsRoleAccessKeyId needs awsRoleArn");
        }
        o.role_source =
            sigv4::Credentials{option("awsRoleAccessKeyId"), option("awsRoleSecretAccessKey"),
                               option("awsRoleSessionToken"), std::nullopt};
    }
    if (!o.role_arn.empty() && o.role_session_name.empty()) {
        o.role_session_name = "MSKSASLDefaultSession";
    }
    o.region = std::string(strings::trim(extra.get(std::string(kRegionKey))));
    if (o.region.empty()) {
        o.region = region_from_bootstrap(bootstrap_servers).value_or("");
    }
    if (o.region.empty()) {
        o.region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
    }
    if (o.region.empty()) {
        return make_error(
            "AWS MSK IAM: cannot tell the cluster's AWS region: no broker host name "
            "in bootstrap.servers has the form ...kafka.<region>.amazonaws.com; set " +
            std::string(kRegionKey) + " or AWS_REGION");
    }
    static const std::regex kSafe("[a-z0-9-]+");
    if (!std::regex_match(o.region, kSafe)) {
        return make_error("AWS MSK IAM: '" + o.region + "' is not an AWS region name");
    }
    return o;
}

std::shared_ptr<TokenProvider> make_token_provider(const Options& options, aws::AwsContext ctx) {
    aws::ProviderPtr creds = options.role_source ? aws::make_static_provider(*options.role_source)
                                                 : aws::make_default_chain(ctx, options.profile);
    if (!options.role_arn.empty()) {
        creds = aws::make_assume_role_provider(ctx, creds,
                                               {options.role_arn, options.role_session_name,
                                                options.role_external_id, options.sts_region, 0});
    }
    return std::make_shared<ChainTokenProvider>(creds, options.region, ctx.now);
}

Status install_token_provider(rd_kafka_conf_t* conf, std::shared_ptr<TokenProvider> provider) {
    std::string id;
    {
        Registry& r = registry();
        std::lock_guard lock(r.mutex);
        id = std::string(kConfigPrefix) + std::to_string(r.next++);
        r.providers.emplace(id, std::move(provider));
    }
    char errstr[512];
    if (rd_kafka_conf_set(conf, "sasl.oauthbearer.config", id.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
        return make_error(std::string("AWS MSK IAM: cannot set sasl.oauthbearer.config: ") +
                          errstr);
    }
    rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, refresh_cb);
    rd_kafka_conf_enable_sasl_queue(conf, 1);
    return {};
}

Status install_msk_iam(rd_kafka_conf_t* conf, const std::string& jaas_entry,
                       const std::string& bootstrap_servers, const Properties& extra) {
    aws::AwsContext ctx;
    auto options = parse_options(jaas_entry, bootstrap_servers, extra, ctx.env);
    if (!options) {
        return options.error();
    }
    // One provider per distinct option set: clients of one cluster share the credential cache.
    // The key holds secrets (awsRoleSecretAccessKey) and stays in memory only.
    const Options& o = *options;
    std::string key = o.region + '\0' + o.profile + '\0' + o.role_arn + '\0' + o.role_session_name +
                      '\0' + o.role_external_id + '\0' + o.sts_region;
    if (o.role_source) {
        key += '\0' + o.role_source->access_key_id + '\0' + o.role_source->secret_access_key +
               '\0' + o.role_source->session_token;
    }
    std::string id;
    {
        Registry& r = registry();
        std::lock_guard lock(r.mutex);
        auto it = r.by_options.find(key);
        if (it == r.by_options.end()) {
            id = std::string(kConfigPrefix) + std::to_string(r.next++);
            r.providers.emplace(id, make_token_provider(o, ctx));
            r.by_options.emplace(key, id);
        } else {
            id = it->second;
        }
    }
    char errstr[512];
    if (rd_kafka_conf_set(conf, "sasl.oauthbearer.config", id.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
        return make_error(std::string("AWS MSK IAM: cannot set sasl.oauthbearer.config: ") +
                          errstr);
    }
    rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, refresh_cb);
    rd_kafka_conf_enable_sasl_queue(conf, 1);
    return {};
}

} // namespace kmirror::kafka::msk_iam
