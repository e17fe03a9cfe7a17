#include "kafka/sigv4.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace kmirror::kafka::sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool unreserved(unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Header values: leading/trailing blanks removed, inner runs of blanks collapsed to one space.
std::string trim_header_value(std::string_view v) {
    std::string out;
    bool blank = false;
    for (char c : v) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            blank = !out.empty();
            continue;
        }
        if (blank) {
            out.push_back(' ');
            blank = false;
        }
        out.push_back(c);
    }
    return out;
}

std::string credential_scope(const Scope& scope) {
    return amz_date(scope.time).substr(0, 8) + "/" + scope.region + "/" + scope.service +
           "/aws4_request";
}

struct CanonicalHeaders {
    std::string text;    // "name:value\n" for each
    std::string signed_; // "a;b;c"
};

CanonicalHeaders canonical_headers(const Params& headers) {
    std::vector<std::pair<std::string, std::string>> sorted;
    for (const auto& [name, value] : headers) {
        const std::string n = lower(name);
        const std::string v = trim_header_value(value);
        auto it =
            std::find_if(sorted.begin(), sorted.end(), [&](const auto& p) { return p.first == n; });
        if (it != sorted.end()) {
            it->second += "," + v; // repeated header: values joined with commas
        } else {
            sorted.emplace_back(n, v);
        }
    }
    std::sort(sorted.begin(), sorted.end());
    CanonicalHeaders out;
    for (const auto& [n, v] : sorted) {
        out.text += n + ":" + v + "\n";
        out.signed_ += (out.signed_.empty() ? "" : ";") + n;
    }
    return out;
}

Signed finish(const Request& request, const Credentials& credentials, const Scope& scope,
              const std::string& query, const CanonicalHeaders& headers) {
    Signed out;
    out.canonical_request = request.method + "\n" + uri_encode(request.path, true) + "\n" + query +
                            "\n" + headers.text + "\n" + headers.signed_ + "\n" +
                            sha256_hex(request.payload);
    const std::string date = amz_date(scope.time);
    out.string_to_sign = std::string(kAlgorithm) + "\n" + date + "\n" + credential_scope(scope) +
                         "\n" + sha256_hex(out.canonical_request);
    const std::string key =
        signing_key(credentials.secret_access_key, date.substr(0, 8), scope.region, scope.service);
    out.signature = hex(hmac_sha256(key, out.string_to_sign));
    return out;
}

} // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (unsigned char c : s) {
        if (unreserved(c) || (keep_slash && c == '/')) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0F]);
        }
    }
    return out;
}

std::string hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0x0F]);
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
    return hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
    return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
    const std::string k_date = hmac_sha256("AWS4" + std::string(secret), date);
    const std::string k_region = hmac_sha256(k_date, region);
    const std::string k_service = hmac_sha256(k_region, service);
    return hmac_sha256(k_service, "aws4_request");
}

std::string amz_date(TimePoint t) {
    const std::time_t secs = Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::array<char, 32> buf{};
    const size_t n = std::strftime(buf.data(), buf.size(), "%Y%m%dT%H%M%SZ", &tm);
    return std::string(buf.data(), n);
}

std::string canonical_query(const Params& params) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(params.size());
    for (const auto& [k, v] : params) {
        encoded.emplace_back(uri_encode(k), uri_encode(v));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [k, v] : encoded) {
        out += (out.empty() ? "" : "&") + k + "=" + v;
    }
    return out;
}

Signed presign(const Request& request, const Credentials& credentials, const Scope& scope,
               std::chrono::seconds expires) {
    Params headers = request.headers;
    headers.emplace_back("host", request.host);
    const CanonicalHeaders canonical = canonical_headers(headers);
    Params query = request.query;
    query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
    query.emplace_back("X-Amz-Credential",
                       credentials.access_key_id + "/" + credential_scope(scope));
    query.emplace_back("X-Amz-Date", amz_date(scope.time));
    query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
    if (!credentials.session_token.empty()) {
        query.emplace_back("X-Amz-Security-Token", credentials.session_token);
    }
    query.emplace_back("X-Amz-SignedHeaders", canonical.signed_);
    const std::string canonical_q = canonical_query(query);
    Signed out = finish(request, credentials, scope, canonical_q, canonical);
    out.query = canonical_q + "&X-Amz-Signature=" + out.signature;
    return out;
}

Signed sign_headers(const Request& request, const Credentials& credentials, const Scope& scope) {
    const std::string date = amz_date(scope.time);
    Params added{{"X-Amz-Date", date}};
    if (!credentials.session_token.empty()) {
        added.emplace_back("X-Amz-Security-Token", credentials.session_token);
    }
    Params headers = request.headers;
    headers.emplace_back("host", request.host);
    headers.insert(headers.end(), added.begin(), added.end());
    const CanonicalHeaders canonical = canonical_headers(headers);
    Signed out = finish(request, credentials, scope, canonical_query(request.query), canonical);
    added.emplace_back("Authorization",
                       std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                           credential_scope(scope) + ", SignedHeaders=" + canonical.signed_ +
                           ", Signature=" + out.signature);
    out.headers = std::move(added);
    return out;
}

} // namespace kmirror::kafka::sigv4
