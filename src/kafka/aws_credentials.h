// The AWS credential provider chain (docs: spec/auth.md §3) used to sign MSK IAM tokens:
// environment, shared config/credentials files (with role_arn + source_profile /
// credential_source / web_identity_token_file), web identity (STS AssumeRoleWithWebIdentity),
// ECS/EKS container credentials, EC2 IMDSv2, and STS AssumeRole layered on any of them.
//
// Everything read from the outside (environment variables, the clock, endpoint addresses,
// timeouts) comes through AwsContext so that tests can point each source at a local server.
// Plain http is used only for loopback and link-local metadata addresses; anything else must be
// https. Providers are thread-safe (librdkafka calls the token refresh on its background thread).
// Errors name the source and the cause; they never contain keys, session tokens or the
// container authorization token.
#pragma once

#include "kafka/sigv4.h"
#include "util/result.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kmirror::kafka::aws {

using sigv4::Credentials;
using sigv4::TimePoint;

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment(); // ::getenv; empty values count as unset

struct AwsContext {
    EnvLookup env = process_environment();
    std::function<TimePoint()> now = [] { return sigv4::Clock::now(); };
    std::chrono::milliseconds http_timeout{2000}; // container and STS (botocore: 2 s)
    std::chrono::milliseconds imds_timeout{1000}; // IMDS (botocore: 1 s)
    // Host of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, "http://169.254.170.2"; tests only.
    std::string container_base = "http://169.254.170.2";
    std::string home; // for ~/.aws/...; empty: $HOME
};

class CredentialsProvider {
public:
    virtual ~CredentialsProvider() = default;
    // One resolution attempt. std::nullopt: this source is not configured (the chain moves on);
    // an error: it is configured but failed (the chain stops, as botocore's does).
    virtual Result<std::optional<Credentials>> fetch() = 0;
    virtual std::string name() const = 0;
};
using ProviderPtr = std::shared_ptr<CredentialsProvider>;

ProviderPtr make_environment_provider(AwsContext ctx);
// `profile` empty: AWS_DEFAULT_PROFILE, AWS_PROFILE, then "default".
ProviderPtr make_profile_provider(AwsContext ctx, std::string profile = {});
// From AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME.
ProviderPtr make_web_identity_provider(AwsContext ctx);
ProviderPtr make_container_provider(AwsContext ctx);
ProviderPtr make_imds_provider(AwsContext ctx);
ProviderPtr make_static_provider(Credentials credentials);

struct AssumeRoleOptions {
    std::string role_arn;
    std::string session_name = "MSKSASLDefaultSession";
    std::string external_id;
    std::string sts_region;   // empty: AWS_REGION / AWS_DEFAULT_REGION, else the global endpoint
    int duration_seconds = 0; // 0: STS's default (1 h)
};
// STS AssumeRole, SigV4-signed with the credentials of `source`.
ProviderPtr make_assume_role_provider(AwsContext ctx, ProviderPtr source, AssumeRoleOptions opts);

// The default chain. With an explicit `profile` only that profile is used (as botocore and the
// Java IAM login module do); otherwise env → web identity → profile → container → IMDS.
ProviderPtr make_default_chain(AwsContext ctx, std::string profile = {});

// Caches what `inner` returns and refreshes it `refresh_window` before it expires; if a refresh
// fails while the cached credentials are valid for more than `mandatory_window`, the cached ones
// are kept. Credentials without expiry are re-resolved every `static_ttl`. An unconfigured chain
// becomes an error here ("no AWS credentials found ...").
struct CacheOptions {
    std::chrono::seconds refresh_window{15 * 60};
    std::chrono::seconds mandatory_window{5 * 60};
    std::chrono::seconds static_ttl{15 * 60};
};
class CachedCredentials {
public:
    CachedCredentials(ProviderPtr inner, std::function<TimePoint()> now, CacheOptions options = {});
    Result<Credentials> get();
    std::string name() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

// Helpers exposed for tests.
std::optional<TimePoint> parse_iso8601(const std::string& text);
struct Url {
    std::string scheme, host, port, path; // path includes the query
};
Result<Url> parse_url(const std::string& url);
// http:// is allowed only to loopback and the AWS metadata link-local addresses.
bool http_allowed(const std::string& host);

} // namespace kmirror::kafka::aws
