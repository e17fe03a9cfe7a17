#include "kafka/aws_credentials.h"

#include "util/log.h"
#include "util/strings.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#error "kmirror_kafka is built with CPPHTTPLIB_OPENSSL_SUPPORT (see src/kafka/CMakeLists.txt)"
#endif
#include <httplib.h>

namespace kmirror::kafka::aws {
namespace {

constexpr std::string_view kStsVersion = "2011-06-15";

std::optional<std::string> env(const AwsContext& ctx, const std::string& name) {
    auto v = ctx.env(name);
    if (v && v->empty()) {
        return std::nullopt;
    }
    return v;
}

// ---- HTTP ---------------------------------------------------------------------------------

struct HttpResponse {
    int status = 0;
    std::string body;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    httplib::Headers headers;
    std::string body;
    std::string content_type;
    std::chrono::milliseconds timeout{2000};
};

// `what` names the endpoint in errors, e.g. "ECS container credentials endpoint".
Result<HttpResponse> http_call(const HttpRequest& req, const std::string& what) {
    auto url = parse_url(req.url);
    if (!url) {
        return make_error(what + ": " + url.error().message);
    }
    if (url->scheme == "http" && !http_allowed(url->host)) {
        return make_error(what +
                          ": plain http is allowed only to loopback and AWS metadata "
                          "addresses, not to '" +
                          url->host + "'; use https");
    }
    const std::string host_port =
        url->scheme + "://" +
        (url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host) +
        (url->port.empty() ? "" : ":" + url->port);
    httplib::Client client(host_port);
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(req.timeout);
    const auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(req.timeout - secs);
    client.set_connection_timeout(secs.count(), usecs.count());
    client.set_read_timeout(secs.count(), usecs.count());
    client.set_write_timeout(secs.count(), usecs.count());
    httplib::Result res = [&] {
        if (req.method == "PUT") {
            return client.Put(url->path.c_str(), req.headers, req.body, req.content_type.c_str());
        }
        if (req.method == "POST") {
            return client.Post(url->path.c_str(), req.headers, req.body, req.content_type.c_str());
        }
        return client.Get(url->path.c_str(), req.headers);
    }();
    if (!res) {
        return make_error(what + " (" + url->scheme + "://" + url->host +
                          (url->port.empty() ? "" : ":" + url->port) +
                          ") cannot be reached: " + httplib::to_string(res.error()));
    }
    return HttpResponse{res->status, res->body};
}

std::string form_encode(const sigv4::Params& params) {
    std::string out;
    for (const auto& [k, v] : params) {
        out += (out.empty() ? "" : "&") + sigv4::uri_encode(k) + "=" + sigv4::uri_encode(v);
    }
    return out;
}

// A short printable excerpt of an error text from a server (never of a success body).
std::string excerpt(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 200)) {
        out.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
    }
    return out;
}

// ---- STS (AWS Query protocol, XML answers) --------------------------------------------------

std::optional<std::string> xml_tag(std::string_view xml, std::string_view tag) {
    const std::string open = "<" + std::string(tag) + ">";
    const std::string close = "</" + std::string(tag) + ">";
    const size_t b = xml.find(open);
    if (b == std::string_view::npos) {
        return std::nullopt;
    }
    const size_t start = b + open.size();
    const size_t e = xml.find(close, start);
    if (e == std::string_view::npos) {
        return std::nullopt;
    }
    std::string v(xml.substr(start, e - start));
    // The five predefined entities (session tokens are base64, but be exact).
    for (auto [ent, ch] :
         {std::pair{"&lt;", "<"}, std::pair{"&gt;", ">"}, std::pair{"&quot;", "\""},
          std::pair{"&apos;", "'"}, std::pair{"&amp;", "&"}}) {
        for (size_t p = v.find(ent); p != std::string::npos; p = v.find(ent, p + 1)) {
            v.replace(p, std::string_view(ent).size(), ch);
        }
    }
    return v;
}

Result<Credentials> parse_sts_answer(const HttpResponse& res, const std::string& what) {
    if (res.status != 200) {
        const auto code = xml_tag(res.body, "Code");
        const auto message = xml_tag(res.body, "Message");
        return make_error(what + " failed: HTTP " + std::to_string(res.status) +
                          (code ? " " + excerpt(*code) : std::string()) +
                          (message ? ": " + excerpt(*message) : std::string()));
    }
    const size_t at = res.body.find("<Credentials>");
    if (at == std::string::npos) {
        return make_error(what + ": the answer has no Credentials element");
    }
    const std::string_view creds = std::string_view(res.body).substr(at);
    Credentials c;
    auto ak = xml_tag(creds, "AccessKeyId");
    auto sk = xml_tag(creds, "SecretAccessKey");
    auto token = xml_tag(creds, "SessionToken");
    auto expiration = xml_tag(creds, "Expiration");
    if (!ak || !sk || !token || !expiration) {
        return make_error(what + ": the answer lacks AccessKeyId, SecretAccessKey, SessionToken "
                                 "or Expiration");
    }
    c.access_key_id = *ak;
    c.secret_access_key = *sk;
    c.session_token = *token;
    c.expiration = parse_iso8601(std::string(strings::trim(*expiration)));
    if (!c.expiration) {
        return make_error(what + ": cannot read the Expiration '" + excerpt(*expiration) + "'");
    }
    return c;
}

struct StsEndpoint {
    std::string url;    // https://sts.<region>.amazonaws.com/ or an override
    std::string region; // signing region
};

StsEndpoint sts_endpoint(const AwsContext& ctx, const std::string& region_in) {
    std::string region = region_in;
    if (region.empty()) {
        region = env(ctx, "AWS_REGION").value_or(env(ctx, "AWS_DEFAULT_REGION").value_or(""));
    }
    std::string url;
    if (auto o = env(ctx, "AWS_ENDPOINT_URL_STS")) {
        url = *o;
    } else if (auto g = env(ctx, "AWS_ENDPOINT_URL")) {
        url = *g;
    } else if (region.empty() || region == "aws-global") {
        url = "https://sts.amazonaws.com/";
    } else {
        url = "https://sts." + region + ".amazonaws.com" +
              (strings::starts_with(region, "cn-") ? ".cn/" : "/");
    }
    if (region.empty() || region == "aws-global") {
        region = "us-east-1"; // the global endpoint signs in us-east-1
    }
    return {url, region};
}

Result<Credentials> sts_call(const AwsContext& ctx, const StsEndpoint& endpoint,
                             const sigv4::Params& params, const Credentials* signer,
                             const std::string& what) {
    HttpRequest req;
    req.method = "POST";
    req.url = endpoint.url;
    req.body = form_encode(params);
    req.content_type = "application/x-www-form-urlencoded; charset=utf-8";
    req.timeout = ctx.http_timeout;
    req.headers.emplace("Accept", "application/xml");
    if (signer != nullptr) {
        auto url = parse_url(endpoint.url);
        if (!url) {
            return make_error(what + ": " + url.error().message);
        }
        const bool default_port = url->port.empty() ||
                                  (url->scheme == "https" && url->port == "443") ||
                                  (url->scheme == "http" && url->port == "80");
        sigv4::Request sreq;
        sreq.method = "POST";
        sreq.host = url->host + (default_port ? "" : ":" + url->port);
        sreq.path = url->path.substr(0, url->path.find('?'));
        sreq.headers = {{"content-type", req.content_type}};
        sreq.payload = req.body;
        const auto signed_ =
            sigv4::sign_headers(sreq, *signer, {endpoint.region, "sts", ctx.now()});
        req.headers.emplace("Host", sreq.host);
        for (const auto& [k, v] : signed_.headers) {
            req.headers.emplace(k, v);
        }
    }
    auto res = http_call(req, "STS endpoint");
    if (!res) {
        return make_error(what + ": " + res.error().message);
    }
    return parse_sts_answer(*res, what);
}

std::string default_session_name(const AwsContext& ctx) {
    return "kmirror-session-" + std::to_string(sigv4::Clock::to_time_t(ctx.now()));
}

Result<std::string> read_file(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(what + ": cannot read '" + path + "'");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// ---- providers ----------------------------------------------------------------------------

class StaticProvider : public CredentialsProvider {
public:
    explicit StaticProvider(Credentials c) : c_(std::move(c)) {}
    Result<std::optional<Credentials>> fetch() override { return std::optional(c_); }
    std::string name() const override { return "static credentials"; }

private:
    Credentials c_;
};

class EnvironmentProvider : public CredentialsProvider {
public:
    explicit EnvironmentProvider(AwsContext ctx) : ctx_(std::move(ctx)) {}
    Result<std::optional<Credentials>> fetch() override {
        auto ak = env(ctx_, "AWS_ACCESS_KEY_ID");
        auto sk = env(ctx_, "AWS_SECRET_ACCESS_KEY");
        if (!ak && !sk) {
            return std::optional<Credentials>();
        }
        if (!ak || !sk) {
            return make_error("environment credentials: AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY must be set together");
        }
        Credentials c{
            *ak, *sk,
            env(ctx_, "AWS_SESSION_TOKEN").value_or(env(ctx_, "AWS_SECURITY_TOKEN").value_or("")),
            std::nullopt};
        if (auto exp = env(ctx_, "AWS_CREDENTIAL_EXPIRATION")) {
            c.expiration = parse_iso8601(*exp);
            if (!c.expiration) {
                return make_error("environment credentials: AWS_CREDENTIAL_EXPIRATION is not an "
                                  "ISO-8601 time");
            }
        }
        return std::optional(std::move(c));
    }
    std::string name() const override { return "environment variables"; }

private:
    AwsContext ctx_;
};

class WebIdentityProvider : public CredentialsProvider {
public:
    WebIdentityProvider(AwsContext ctx, std::string token_file, std::string role_arn,
                        std::string session_name, std::string region)
        : ctx_(std::move(ctx)), token_file_(std::move(token_file)), role_arn_(std::move(role_arn)),
          session_name_(std::move(session_name)), region_(std::move(region)) {}
    Result<std::optional<Credentials>> fetch() override {
        if (token_file_.empty() && role_arn_.empty()) {
            return std::optional<Credentials>();
        }
        if (token_file_.empty() || role_arn_.empty()) {
            return make_error("web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN must "
                              "be set together");
        }
        auto token = read_file(token_file_, "web identity token file");
        if (!token) {
            return token.error();
        }
        const std::string session =
            session_name_.empty() ? default_session_name(ctx_) : session_name_;
        auto c = sts_call(ctx_, sts_endpoint(ctx_, region_),
                          {{"Action", "AssumeRoleWithWebIdentity"},
                           {"Version", std::string(kStsVersion)},
                           {"RoleArn", role_arn_},
                           {"RoleSessionName", session},
                           {"WebIdentityToken", std::string(strings::trim(*token))}},
                          nullptr, "STS AssumeRoleWithWebIdentity for role '" + role_arn_ + "'");
        if (!c) {
            return c.error();
        }
        return std::optional(std::move(c).value());
    }
    std::string name() const override { return "web identity"; }

private:
    AwsContext ctx_;
    std::string token_file_, role_arn_, session_name_, region_;
};

class AssumeRoleProvider : public CredentialsProvider {
public:
    AssumeRoleProvider(AwsContext ctx, ProviderPtr source, AssumeRoleOptions opts)
        : ctx_(std::move(ctx)), source_(std::move(source)), opts_(std::move(opts)) {}
    Result<std::optional<Credentials>> fetch() override {
        auto base = source_->fetch();
        if (!base) {
            return make_error("assume role '" + opts_.role_arn + "': " + base.error().message);
        }
        if (!base->has_value()) {
            return make_error("assume role '" + opts_.role_arn + "': no source credentials (" +
                              source_->name() + ")");
        }
        sigv4::Params params{{"Action", "AssumeRole"},
                             {"Version", std::string(kStsVersion)},
                             {"RoleArn", opts_.role_arn},
                             {"RoleSessionName", opts_.session_name.empty()
                                                     ? default_session_name(ctx_)
                                                     : opts_.session_name}};
        if (!opts_.external_id.empty()) {
            params.emplace_back("ExternalId", opts_.external_id);
        }
        if (opts_.duration_seconds > 0) {
            params.emplace_back("DurationSeconds", std::to_string(opts_.duration_seconds));
        }
        auto c = sts_call(ctx_, sts_endpoint(ctx_, opts_.sts_region), params, &**base,
                          "STS AssumeRole for role '" + opts_.role_arn + "'");
        if (!c) {
            return c.error();
        }
        return std::optional(std::move(c).value());
    }
    std::string name() const override { return "assume role '" + opts_.role_arn + "'"; }

private:
    AwsContext ctx_;
    ProviderPtr source_;
    AssumeRoleOptions opts_;
};

Result<Credentials> parse_json_credentials(const std::string& body, const std::string& what,
                                           const char* token_field) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return make_error(what + ": the answer is not a JSON object");
    }
    auto str = [&](const char* k) -> std::optional<std::string> {
        auto it = j.find(k);
        if (it == j.end() || !it->is_string()) {
            return std::nullopt;
        }
        return it->get<std::string>();
    };
    if (auto code = str("Code"); code && *code != "Success") {
        return make_error(what + ": the answer's Code is '" + excerpt(*code) + "'");
    }
    auto ak = str("AccessKeyId");
    auto sk = str("SecretAccessKey");
    auto token = str(token_field);
    auto exp = str("Expiration");
    if (!ak || !sk || !token || !exp) {
        return make_error(what + std::string(": the answer lacks AccessKeyId, SecretAccessKey, ") +
                          token_field + " or Expiration");
    }
    Credentials c{*ak, *sk, *token, parse_iso8601(*exp)};
    if (!c.expiration) {
        return make_error(what + ": cannot read the Expiration '" + excerpt(*exp) + "'");
    }
    return c;
}

// Error text from a metadata endpoint: JSON {"code","message"} when present, else the status.
std::string http_failure(const HttpResponse& res) {
    std::string out = "HTTP " + std::to_string(res.status);
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (j.is_object()) {
        for (const char* k : {"code", "Code", "message", "Message"}) {
            if (auto it = j.find(k); it != j.end() && it->is_string()) {
                out += " " + excerpt(it->get<std::string>());
            }
        }
    }
    return out;
}

class ContainerProvider : public CredentialsProvider {
public:
    explicit ContainerProvider(AwsContext ctx) : ctx_(std::move(ctx)) {}
    Result<std::optional<Credentials>> fetch() override {
        std::string url;
        if (auto rel = env(ctx_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
            url = ctx_.container_base + *rel;
        } else if (auto full = env(ctx_, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
            url = *full;
        } else {
            return std::optional<Credentials>();
        }
        const std::string what = "ECS container credentials";
        HttpRequest req;
        req.url = url;
        req.timeout = ctx_.http_timeout;
        req.headers.emplace("Accept", "application/json");
        std::optional<std::string> auth;
        if (auto file = env(ctx_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
            auto text = read_file(*file, what + ": AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
            if (!text) {
                return text.error();
            }
            auth = std::string(strings::trim(*text));
        } else if (auto token = env(ctx_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
            auth = *token;
        }
        if (auth) {
            if (auth->find_first_of("\r\n") != std::string::npos) {
                return make_error(what + ": the authorization token contains a line break");
            }
            req.headers.emplace("Authorization", *auth);
        }
        auto res = http_call(req, what + " endpoint");
        if (!res) {
            return res.error();
        }
        if (res->status != 200) {
            return make_error(what + ": " + http_failure(*res));
        }
        auto c = parse_json_credentials(res->body, what, "Token");
        if (!c) {
            return c.error();
        }
        return std::optional(std::move(c).value());
    }
    std::string name() const override { return "ECS container credentials"; }

private:
    AwsContext ctx_;
};

class ImdsProvider : public CredentialsProvider {
public:
    explicit ImdsProvider(AwsContext ctx) : ctx_(std::move(ctx)) {}
    Result<std::optional<Credentials>> fetch() override {
        if (strings::to_lower(env(ctx_, "AWS_EC2_METADATA_DISABLED").value_or("")) == "true") {
            return std::optional<Credentials>();
        }
        std::string base = env(ctx_, "AWS_EC2_METADATA_SERVICE_ENDPOINT")
                               .value_or(strings::to_lower(env(ctx_, "AWS_EC2_METADATA_SERVICE_"
                                                                     "ENDPOINT_MODE")
                                                               .value_or("")) == "ipv6"
                                             ? "http://[fd00:ec2::254]"
                                             : "http://169.254.169.254");
        while (!base.empty() && base.back() == '/') {
            base.pop_back();
        }
        const std::string what = "EC2 instance metadata (IMDS)";
        HttpRequest token_req;
        token_req.method = "PUT";
        token_req.url = base + "/latest/api/token";
        token_req.timeout = ctx_.imds_timeout;
        token_req.headers.emplace("x-aws-ec2-metadata-token-ttl-seconds", "21600");
        auto token = http_call(token_req, what);
        if (!token) {
            // No instance metadata service here: not an EC2 instance.
            log::debug(token.error().message);
            return std::optional<Credentials>();
        }
        httplib::Headers headers;
        if (token->status == 200) {
            headers.emplace("x-aws-ec2-metadata-token", token->body);
        } else if (token->status == 400) {
            return make_error(what + ": the session token request was refused (HTTP 400)");
        } else if (strings::to_lower(env(ctx_, "AWS_EC2_METADATA_V1_DISABLED").value_or("")) ==
                   "true") {
            return make_error(what + ": no IMDSv2 session token (HTTP " +
                              std::to_string(token->status) +
                              ") and AWS_EC2_METADATA_V1_DISABLED is set");
        }
        const std::string path = base + "/latest/meta-data/iam/security-credentials/";
        HttpRequest role_req{"GET", path, headers, {}, {}, ctx_.imds_timeout};
        auto role = http_call(role_req, what);
        if (!role) {
            return role.error();
        }
        if (role->status == 404) {
            return make_error(what + ": the instance has no IAM role (instance profile)");
        }
        if (role->status != 200) {
            return make_error(what + ": listing the IAM role failed: " + http_failure(*role));
        }
        const std::string name(strings::trim(role->body.substr(0, role->body.find('\n'))));
        if (name.empty()) {
            return make_error(what + ": the instance has no IAM role (instance profile)");
        }
        HttpRequest creds_req{"GET", path + name, headers, {}, {}, ctx_.imds_timeout};
        auto creds = http_call(creds_req, what);
        if (!creds) {
            return creds.error();
        }
        if (creds->status != 200) {
            return make_error(what + ": credentials of role '" + name +
                              "': " + http_failure(*creds));
        }
        auto c = parse_json_credentials(creds->body, what + " role '" + name + "'", "Token");
        if (!c) {
            return c.error();
        }
        return std::optional(std::move(c).value());
    }
    std::string name() const override { return "EC2 instance metadata"; }

private:
    AwsContext ctx_;
};

// ---- shared config / credentials files ------------------------------------------------------

using Section = std::map<std::string, std::string>;
using IniFile = std::map<std::string, Section>;

IniFile parse_ini(const std::string& text) {
    IniFile out;
    std::string section;
    bool in_section = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            continue; // nested values (s3 = \n  max_concurrent_requests = ...) are not used
        }
        const std::string t(strings::trim(line));
        if (t.empty() || t[0] == '#' || t[0] == ';') {
            continue;
        }
        if (t.front() == '[' && t.back() == ']') {
            section = std::string(strings::trim(std::string_view(t).substr(1, t.size() - 2)));
            in_section = true;
            out[section];
            continue;
        }
        const size_t eq = t.find('=');
        if (!in_section || eq == std::string::npos) {
            continue;
        }
        out[section][std::string(strings::trim(std::string_view(t).substr(0, eq)))] =
            std::string(strings::trim(std::string_view(t).substr(eq + 1)));
    }
    return out;
}

class ProfileProvider : public CredentialsProvider {
public:
    ProfileProvider(AwsContext ctx, std::string profile)
        : ctx_(std::move(ctx)), explicit_(!profile.empty()), profile_(std::move(profile)) {
        if (profile_.empty()) {
            profile_ = env(ctx_, "AWS_DEFAULT_PROFILE")
                           .value_or(env(ctx_, "AWS_PROFILE").value_or("default"));
        }
    }
    Result<std::optional<Credentials>> fetch() override { return resolve(profile_, 0); }
    std::string name() const override { return "shared profile '" + profile_ + "'"; }

private:
    std::string home() const {
        return ctx_.home.empty() ? env(ctx_, "HOME").value_or("") : ctx_.home;
    }

    Section load(const std::string& profile) const {
        Section merged;
        const std::string config_path =
            env(ctx_, "AWS_CONFIG_FILE").value_or(home() + "/.aws/config");
        const std::string creds_path =
            env(ctx_, "AWS_SHARED_CREDENTIALS_FILE").value_or(home() + "/.aws/credentials");
        if (auto text = read_file(config_path, "")) {
            IniFile ini = parse_ini(*text);
            auto it = ini.find(profile == "default" ? "default" : "profile " + profile);
            if (it == ini.end() && profile == "default") {
                it = ini.find("profile default");
            }
            if (it != ini.end()) {
                merged = it->second;
            }
        }
        if (auto text = read_file(creds_path, "")) {
            IniFile ini = parse_ini(*text);
            if (auto it = ini.find(profile); it != ini.end()) {
                for (const auto& [k, v] : it->second) {
                    merged[k] = v;
                }
            }
        }
        return merged;
    }

    Result<std::optional<Credentials>> resolve(const std::string& profile, int depth) {
        const std::string what = "shared profile '" + profile + "'";
        if (depth > 4) {
            return make_error(what + ": source_profile chain is too long or circular");
        }
        Section s = load(profile);
        auto get = [&](const char* k) {
            auto it = s.find(k);
            return it == s.end() ? std::string() : it->second;
        };
        if (s.empty()) {
            if (explicit_ || depth > 0) {
                return make_error(what + " not found in the AWS config or credentials file");
            }
            return std::optional<Credentials>();
        }
        if (!get("role_arn").empty()) {
            AssumeRoleOptions opts{get("role_arn"),
                                   get("role_session_name").empty() ? default_session_name(ctx_)
                                                                    : get("role_session_name"),
                                   get("external_id"), get("region"), 0};
            if (!get("duration_seconds").empty()) {
                long long d = 0;
                if (!strings::parse_int64(get("duration_seconds"), d)) {
                    return make_error(what + ": duration_seconds is not a number");
                }
                opts.duration_seconds = static_cast<int>(d);
            }
            ProviderPtr source;
            if (!get("web_identity_token_file").empty()) {
                WebIdentityProvider web(ctx_, get("web_identity_token_file"), get("role_arn"),
                                        opts.session_name, get("region"));
                return web.fetch();
            }
            if (!get("source_profile").empty()) {
                const std::string src = get("source_profile");
                if (src == profile) { // static keys of this profile sign the AssumeRole
                    if (get("aws_access_key_id").empty()) {
                        return make_error(what + ": source_profile names itself but it has no "
                                                 "aws_access_key_id");
                    }
                    source = make_static_provider({get("aws_access_key_id"),
                                                   get("aws_secret_access_key"),
                                                   get("aws_session_token"), std::nullopt});
                } else {
                    auto base = resolve(src, depth + 1);
                    if (!base) {
                        return base.error();
                    }
                    source = make_static_provider(**base);
                }
            } else if (get("credential_source") == "Environment") {
                source = make_environment_provider(ctx_);
            } else if (get("credential_source") == "Ec2InstanceMetadata") {
                source = make_imds_provider(ctx_);
            } else if (get("credential_source") == "EcsContainer") {
                source = make_container_provider(ctx_);
            } else {
                return make_error(what + ": role_arn needs source_profile, credential_source "
                                         "(Environment, Ec2InstanceMetadata, EcsContainer) or "
                                         "web_identity_token_file");
            }
            AssumeRoleProvider assume(ctx_, source, opts);
            return assume.fetch();
        }
        if (!get("aws_access_key_id").empty() || !get("aws_secret_access_key").empty()) {
            if (get("aws_access_key_id").empty() || get("aws_secret_access_key").empty()) {
                return make_error(what + ": aws_access_key_id and aws_secret_access_key must be "
                                         "set together");
            }
            std::string token = get("aws_session_token");
            if (token.empty()) {
                token = get("aws_security_token");
            }
            return std::optional(Credentials{get("aws_access_key_id"), get("aws_secret_access_key"),
                                             token, std::nullopt});
        }
        if (explicit_ || depth > 0) {
            return make_error(what + " has no credentials (aws_access_key_id or role_arn)");
        }
        return std::optional<Credentials>();
    }

    AwsContext ctx_;
    bool explicit_;
    std::string profile_;
};

class ChainProvider : public CredentialsProvider {
public:
    explicit ChainProvider(std::vector<ProviderPtr> providers) : providers_(std::move(providers)) {}
    Result<std::optional<Credentials>> fetch() override {
        for (const auto& p : providers_) {
            auto c = p->fetch();
            if (!c || c->has_value()) {
                return c;
            }
        }
        return std::optional<Credentials>();
    }
    std::string name() const override {
        std::vector<std::string> names;
        for (const auto& p : providers_) {
            names.push_back(p->name());
        }
        return strings::join(names, ", ");
    }

private:
    std::vector<ProviderPtr> providers_;
};

bool is_loopback_v4(const std::string& host) {
    return strings::starts_with(host, "127.") && std::all_of(host.begin(), host.end(), [](char c) {
               return (c >= '0' && c <= '9') || c == '.';
           });
}

} // namespace

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str()); // NOLINT(concurrency-mt-unsafe)
        if (v == nullptr || *v == '\0') {
            return std::nullopt;
        }
        return std::string(v);
    };
}

std::optional<TimePoint> parse_iso8601(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
        n != 19) {
        return std::nullopt;
    }
    std::string_view rest = std::string_view(text).substr(19);
    if (!rest.empty() && rest[0] == '.') {
        size_t i = 1;
        while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
            ++i;
        }
        rest.remove_prefix(i);
    }
    if (rest != "Z" && rest != "+00:00" && rest != "+0000") {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return sigv4::Clock::from_time_t(timegm(&tm));
}

Result<Url> parse_url(const std::string& url) {
    Url out;
    const size_t sep = url.find("://");
    if (sep == std::string::npos) {
        return make_error("'" + url + "' is not an http(s) URL");
    }
    out.scheme = strings::to_lower(url.substr(0, sep));
    if (out.scheme != "http" && out.scheme != "https") {
        return make_error("'" + url + "' is not an http(s) URL");
    }
    std::string rest = url.substr(sep + 3);
    const size_t slash = rest.find_first_of("/?");
    std::string authority = rest.substr(0, slash);
    out.path = slash == std::string::npos ? "/" : rest.substr(slash);
    if (out.path[0] == '?') {
        out.path = "/" + out.path;
    }
    if (authority.find('@') != std::string::npos) {
        return make_error("URLs with user information are not supported");
    }
    if (!authority.empty() && authority[0] == '[') {
        const size_t close = authority.find(']');
        if (close == std::string::npos) {
            return make_error("'" + url + "' has an unterminated IPv6 address");
        }
        out.host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') {
            out.port = authority.substr(close + 2);
        }
    } else {
        const size_t colon = authority.find(':');
        out.host = authority.substr(0, colon);
        if (colon != std::string::npos) {
            out.port = authority.substr(colon + 1);
        }
    }
    if (out.host.empty()) {
        return make_error("'" + url + "' has no host");
    }
    return out;
}

bool http_allowed(const std::string& host) {
    static const std::set<std::string> kAllowed{
        "localhost",       "::1",          "169.254.170.2", "169.254.170.23",
        "169.254.169.254", "fd00:ec2::23", "fd00:ec2::254"};
    return kAllowed.count(strings::to_lower(host)) != 0 || is_loopback_v4(host);
}

ProviderPtr make_environment_provider(AwsContext ctx) {
    return std::make_shared<EnvironmentProvider>(std::move(ctx));
}
ProviderPtr make_profile_provider(AwsContext ctx, std::string profile) {
    return std::make_shared<ProfileProvider>(std::move(ctx), std::move(profile));
}
ProviderPtr make_web_identity_provider(AwsContext ctx) {
    auto file = env(ctx, "AWS_WEB_IDENTITY_TOKEN_FILE").value_or("");
    auto role = env(ctx, "AWS_ROLE_ARN").value_or("");
    auto session = env(ctx, "AWS_ROLE_SESSION_NAME").value_or("");
    return std::make_shared<WebIdentityProvider>(std::move(ctx), file, role, session,
                                                 std::string());
}
ProviderPtr make_container_provider(AwsContext ctx) {
    return std::make_shared<ContainerProvider>(std::move(ctx));
}
ProviderPtr make_imds_provider(AwsContext ctx) {
    return std::make_shared<ImdsProvider>(std::move(ctx));
}
ProviderPtr make_static_provider(Credentials credentials) {
    return std::make_shared<StaticProvider>(std::move(credentials));
}
ProviderPtr make_assume_role_provider(AwsContext ctx, ProviderPtr source, AssumeRoleOptions opts) {
    return std::make_shared<AssumeRoleProvider>(std::move(ctx), std::move(source), std::move(opts));
}

ProviderPtr make_default_chain(AwsContext ctx, std::string profile) {
    if (!profile.empty()) {
        return std::make_shared<ChainProvider>(
            std::vector<ProviderPtr>{make_profile_provider(ctx, std::move(profile))});
    }
    return std::make_shared<ChainProvider>(std::vector<ProviderPtr>{
        make_environment_provider(ctx), make_web_identity_provider(ctx), make_profile_provider(ctx),
        make_container_provider(ctx), make_imds_provider(ctx)});
}

struct CachedCredentials::State {
    ProviderPtr inner;
    std::function<TimePoint()> now;
    CacheOptions options;
    std::mutex mutex;
    std::optional<Credentials> cached;
    TimePoint refresh_at{};
};

CachedCredentials::CachedCredentials(ProviderPtr inner, std::function<TimePoint()> now,
                                     CacheOptions options)
    : state_(std::make_shared<State>()) {
    state_->inner = std::move(inner);
    state_->now = std::move(now);
    state_->options = options;
}

std::string CachedCredentials::name() const {
    return state_->inner->name();
}

Result<Credentials> CachedCredentials::get() {
    State& s = *state_;
    std::lock_guard lock(s.mutex);
    const TimePoint now = s.now();
    if (s.cached && now < s.refresh_at) {
        return *s.cached;
    }
    auto fresh = s.inner->fetch();
    std::optional<Error> failure;
    if (!fresh) {
        failure = fresh.error();
    } else if (!fresh->has_value()) {
        failure = make_error("no AWS credentials found (tried: " + s.inner->name() + ")");
    } else if ((*fresh)->expiration && *(*fresh)->expiration <= now) {
        failure = make_error(s.inner->name() + ": the credentials received have already expired");
    }
    if (failure) {
        const bool usable = s.cached && (!s.cached->expiration ||
                                         now + s.options.mandatory_window < *s.cached->expiration);
        if (usable) {
            log::warn("AWS credentials refresh failed, using the cached ones until they expire: " +
                      failure->message);
            s.refresh_at = now + std::chrono::seconds(60); // retry a minute later
            return *s.cached;
        }
        return *failure;
    }
    s.cached = std::move(fresh).value();
    if (s.cached->expiration) {
        s.refresh_at = *s.cached->expiration - s.options.refresh_window;
        // Short-lived credentials: refresh at half their remaining life rather than every call.
        if (s.refresh_at <= now) {
            s.refresh_at = now + (*s.cached->expiration - now) / 2;
        }
    } else {
        s.refresh_at = now + s.options.static_ttl;
    }
    return *s.cached;
}

} // namespace kmirror::kafka::aws
