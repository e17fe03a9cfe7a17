// AWS MSK IAM authentication over librdkafka's SASL/OAUTHBEARER (docs: spec/auth.md §1–2).
//
// The token is base64url(no padding) of a SigV4-presigned
// `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect` URL, exactly as AWS's
// own signers build it. install_msk_iam() puts a token refresh callback on a librdkafka
// configuration; the callback runs on librdkafka's background thread (SASL queue forwarded by
// kafka::make_client), signs a fresh token with credentials from the AWS chain
// (kafka/aws_credentials.h) and hands it to librdkafka, which asks again at 80 % of its lifetime.
//
// Tokens and credentials are secrets: they are never logged, and errors never contain them.
#pragma once

#include "kafka/aws_credentials.h"
#include "kafka/sigv4.h"
#include "util/properties.h"
#include "util/result.h"

#include <cstdint>
#include <librdkafka/rdkafka.h>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kmirror::kafka::msk_iam {

inline constexpr std::string_view kUserAgent = "kmirror/0.1.0";
inline constexpr std::chrono::seconds kTokenExpiry{900};
inline constexpr std::string_view kPrincipal = "kafka-cluster"; // as Java's IAMOAuthBearerToken
// Key in the `extra` properties of install_msk_iam that overrides the region.
inline constexpr std::string_view kRegionKey = "kmirror.aws.region";

struct Token {
    std::string value;       // what librdkafka sends after "auth=Bearer "
    std::string url;         // the presigned URL (secret: it authenticates)
    int64_t lifetime_ms = 0; // epoch ms: min(signing time + 900 s, credential expiry)
};

std::string base64url_nopad(std::string_view bytes);

// The MSK token signed at `now` (truncated to whole seconds, as X-Amz-Date is).
Token make_token(const sigv4::Credentials& credentials, const std::string& region,
                 sigv4::TimePoint now, std::string_view user_agent = kUserAgent);

// Region of the first broker whose host name is `...kafka[-serverless].<region>.amazonaws.com[.cn]`
// or contains an AWS region id as one of its labels.
std::optional<std::string> region_from_bootstrap(std::string_view bootstrap_servers);

// What the JAAS options of IAMLoginModule / IAMOAuthBearerLoginModule ask for.
struct Options {
    std::string region;
    std::string profile;                           // awsProfileName
    std::string role_arn;                          // awsRoleArn
    std::string role_session_name;                 // awsRoleSessionName
    std::string role_external_id;                  // awsRoleExternalId
    std::string sts_region;                        // awsStsRegion
    std::optional<sigv4::Credentials> role_source; // awsRoleAccessKeyId/SecretAccessKey/Token
};

// Region: `extra[kRegionKey]`, else the broker host names, else AWS_REGION / AWS_DEFAULT_REGION.
Result<Options> parse_options(const std::string& jaas_entry, const std::string& bootstrap_servers,
                              const Properties& extra, const aws::EnvLookup& env);

// Produces tokens; thread-safe.
class TokenProvider {
public:
    virtual ~TokenProvider() = default;
    virtual Result<Token> token() = 0;
};

// Credentials from the chain the options select (profile / default chain, then AssumeRole when a
// role is configured), cached and refreshed before they expire.
std::shared_ptr<TokenProvider> make_token_provider(const Options& options, aws::AwsContext ctx);

// Installs `provider` on `conf`: the OAUTHBEARER token refresh callback, the SASL callback queue
// (make_client forwards it to the background thread) and sasl.oauthbearer.config naming the
// provider. Does not change security.protocol or sasl.mechanisms.
Status install_token_provider(rd_kafka_conf_t* conf, std::shared_ptr<TokenProvider> provider);

// The entry point for the engine: options from the JAAS entry (TranslatedConfig::aws_msk_iam),
// region as parse_options, credentials from the process environment. Clients with equal
// options share one provider and thus one credential cache.
Status install_msk_iam(rd_kafka_conf_t* conf, const std::string& jaas_entry,
                       const std::string& bootstrap_servers, const Properties& extra);

} // namespace kmirror::kafka::msk_iam
