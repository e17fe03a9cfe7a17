// AWS Signature Version 4 (docs: spec/auth.md §2): query-string presigning (the MSK IAM token)
// and Authorization-header signing (STS AssumeRole). Pure functions: the signing time is a
// parameter, nothing is read from the clock, the environment or the network. Callable from any
// thread.
//
// Credentials hold secrets: nothing here logs them, and no error text contains them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmirror::kafka::sigv4 {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
// Names and values as they are, not percent-encoded; the signer encodes them.
using Params = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;           // empty when the credentials have none
    std::optional<TimePoint> expiration; // none: long-term credentials
};

struct Request {
    std::string method = "GET";
    std::string host; // the Host header, with ":port" when the port is not the scheme's default
    std::string path = "/";
    Params query;
    // Further headers to sign (for example content-type); `host` is always signed.
    Params headers;
    std::string payload; // the request body (hashed into the signature)
};

struct Scope {
    std::string region;
    std::string service;
    TimePoint time;
};

struct Signed {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature; // lowercase hex
    // presign(): the complete query string, canonical order, ending in &X-Amz-Signature=...
    std::string query;
    // sign_headers(): the headers to add to the request (X-Amz-Date, X-Amz-Security-Token,
    // Authorization).
    Params headers;
};

// RFC 3986 unreserved characters stay, every other byte becomes %XX (upper-case hex); `/` is
// kept only when keep_slash (paths).
std::string uri_encode(std::string_view s, bool keep_slash = false);
std::string hex(std::string_view bytes);
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data); // raw 32 bytes
// kSigning = HMAC chain over "AWS4"+secret, date (yyyyMMdd), region, service, "aws4_request".
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);
std::string amz_date(TimePoint t); // yyyyMMdd'T'HHmmss'Z' (UTC)
// Encoded `name=value` pairs sorted by encoded name, then value, joined with '&'.
std::string canonical_query(const Params& params);

// Query-string presigning: adds X-Amz-Algorithm, -Credential, -Date, -Expires, [-Security-Token]
// and -SignedHeaders to the query, all signed, and appends X-Amz-Signature.
Signed presign(const Request& request, const Credentials& credentials, const Scope& scope,
               std::chrono::seconds expires);

// Authorization-header signing: signs host, x-amz-date, [x-amz-security-token] and the
// request's headers.
Signed sign_headers(const Request& request, const Credentials& credentials, const Scope& scope);

} // namespace kmirror::kafka::sigv4
