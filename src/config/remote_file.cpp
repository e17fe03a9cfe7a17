#include "config/remote_file.h"

#include "kafka/sigv4.h"
#include "util/strings.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#error "kmirror_config is built with CPPHTTPLIB_OPENSSL_SUPPORT (see src/kafka/CMakeLists.txt)"
#endif
#include <httplib.h>

namespace kmirror::config {
namespace {

constexpr std::string_view kScheme = "s3://";

std::optional<std::string> env_value(const kafka::aws::AwsContext& ctx, const std::string& name) {
    auto v = ctx.env(name);
    if (v && v->empty()) {
        return std::nullopt;
    }
    return v;
}

std::string region_of(const kafka::aws::AwsContext& ctx) {
    if (auto r = env_value(ctx, "AWS_REGION")) {
        return *r;
    }
    if (auto r = env_value(ctx, "AWS_DEFAULT_REGION")) {
        return *r;
    }
    return "us-east-1";
}

// A printable excerpt of an XML element of an S3 error answer.
std::string xml_tag(std::string_view xml, std::string_view tag) {
    const std::string open = "<" + std::string(tag) + ">";
    const std::string close = "</" + std::string(tag) + ">";
    const size_t b = xml.find(open);
    if (b == std::string_view::npos) {
        return {};
    }
    const size_t start = b + open.size();
    const size_t e = xml.find(close, start);
    if (e == std::string_view::npos) {
        return {};
    }
    std::string out;
    for (char c : xml.substr(start, std::min<size_t>(e - start, 160))) {
        out.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
    }
    return out;
}

std::string uri_text(const S3Uri& uri) {
    return std::string(kScheme) + uri.bucket + "/" + uri.key;
}

// The file-name suffix of `key` worth keeping (".jks", ".p12", ".pem", ...), or "".
std::string suffix_of(std::string_view key) {
    const size_t slash = key.rfind('/');
    const std::string_view base = slash == std::string_view::npos ? key : key.substr(slash + 1);
    const size_t dot = base.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || base.size() - dot > 12) {
        return {};
    }
    for (char c : base.substr(dot + 1)) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            return {};
        }
    }
    return std::string(base.substr(dot));
}

struct Target {
    std::string base; // scheme://host[:port]
    std::string host; // Host header (with a non-default port)
    std::string path; // unencoded path to sign
};

Result<Target> target_for(const S3Uri& uri, const kafka::aws::AwsContext& ctx) {
    auto endpoint = env_value(ctx, "AWS_ENDPOINT_URL_S3");
    if (!endpoint) {
        endpoint = env_value(ctx, "AWS_ENDPOINT_URL");
    }
    Target t;
    if (!endpoint) {
        const std::string region = region_of(ctx);
        const std::string suffix =
            region.rfind("cn-", 0) == 0 ? ".amazonaws.com.cn" : ".amazonaws.com";
        if (uri.bucket.find('.') == std::string::npos) { // virtual-hosted style
            t.host = uri.bucket + ".s3." + region + suffix;
            t.path = "/" + uri.key;
        } else { // dots break the wildcard certificate: path style
            t.host = "s3." + region + suffix;
            t.path = "/" + uri.bucket + "/" + uri.key;
        }
        t.base = "https://" + t.host;
        return t;
    }
    auto url = kafka::aws::parse_url(*endpoint);
    if (!url) {
        return make_error("S3 endpoint: " + url.error().message);
    }
    if (url->scheme == "http" && !kafka::aws::http_allowed(url->host)) {
        return make_error(
            "S3 endpoint: plain http is allowed only to loopback addresses, not to '" + url->host +
            "'; use https");
    }
    const bool default_port = url->port.empty() || (url->scheme == "https" && url->port == "443") ||
                              (url->scheme == "http" && url->port == "80");
    const std::string host =
        url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
    t.host = host + (default_port ? "" : ":" + url->port);
    t.base = url->scheme + "://" + host + (url->port.empty() ? "" : ":" + url->port);
    std::string prefix = url->path.substr(0, url->path.find('?'));
    while (!prefix.empty() && prefix.back() == '/') {
        prefix.pop_back();
    }
    t.path = prefix + "/" + uri.bucket + "/" + uri.key; // path style
    return t;
}

// Every live TempFiles, for the exit handler. Leaked: the handler may run after statics are gone.
struct LiveTempFiles {
    std::mutex mutex;
    std::set<TempFiles*> all;
};

LiveTempFiles& live_temp_files() {
    static auto* live = new LiveTempFiles();
    return *live;
}

void remove_live_files() {
    auto& live = live_temp_files();
    std::lock_guard<std::mutex> lock(live.mutex);
    for (TempFiles* t : live.all) {
        t->remove_all();
    }
}

} // namespace

// ---- s3:// URIs -----------------------------------------------------------------------------

bool is_s3_uri(std::string_view location) {
    return location.size() > kScheme.size() &&
           strings::to_lower(std::string(location.substr(0, kScheme.size()))) == kScheme;
}

Result<S3Uri> parse_s3_uri(std::string_view location) {
    if (!is_s3_uri(location)) {
        return make_error("'" + std::string(location) + "' is not an s3://bucket/key URI");
    }
    const std::string_view rest = location.substr(kScheme.size());
    const size_t slash = rest.find('/');
    S3Uri out;
    if (slash != std::string_view::npos) {
        out.bucket = std::string(rest.substr(0, slash));
        out.key = std::string(rest.substr(slash + 1));
    }
    if (out.bucket.empty() || out.key.empty() || out.key.back() == '/') {
        return make_error("'" + std::string(location) +
                          "' is not an s3://bucket/key URI (bucket and object key required)");
    }
    for (char c : out.bucket) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                        c == '_' || (c >= 'A' && c <= 'Z');
        if (!ok) {
            return make_error("'" + std::string(location) + "': invalid bucket name");
        }
    }
    return out;
}

// ---- S3Fetcher ------------------------------------------------------------------------------

S3Fetcher::S3Fetcher(RemoteOptions options) : options_(std::move(options)) {
    auto inner =
        options_.credentials ? options_.credentials : kafka::aws::make_default_chain(options_.aws);
    credentials_ = std::make_shared<kafka::aws::CachedCredentials>(inner, options_.aws.now);
}

Result<std::string> S3Fetcher::url_for(const S3Uri& uri) const {
    auto t = target_for(uri, options_.aws);
    if (!t) {
        return t.error();
    }
    return t->base + kafka::sigv4::uri_encode(t->path, true);
}

Result<std::string> S3Fetcher::get(const S3Uri& uri) {
    const std::string what = uri_text(uri);
    auto t = target_for(uri, options_.aws);
    if (!t) {
        return make_error(what + ": " + t.error().message);
    }
    auto creds = credentials_->get();
    if (!creds) {
        return make_error(what + ": " + creds.error().message);
    }
    kafka::sigv4::Request sreq;
    sreq.method = "GET";
    sreq.host = t->host;
    sreq.path = t->path;
    const std::string empty_hash = kafka::sigv4::sha256_hex("");
    sreq.headers = {{"x-amz-content-sha256", empty_hash}};
    const auto signed_ = kafka::sigv4::sign_headers(
        sreq, *creds, {region_of(options_.aws), "s3", options_.aws.now()});

    httplib::Headers headers{{"Host", t->host}, {"x-amz-content-sha256", empty_hash}};
    for (const auto& [k, v] : signed_.headers) {
        headers.emplace(k, v);
    }
    httplib::Client client(t->base);
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(options_.timeout);
    const auto usecs =
        std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout - secs);
    client.set_connection_timeout(secs.count(), usecs.count());
    client.set_read_timeout(secs.count(), usecs.count());
    client.set_follow_location(false);
    const std::string path = kafka::sigv4::uri_encode(t->path, true);
    auto res = client.Get(path.c_str(), headers);
    if (!res) {
        return make_error(what + ": " + t->base +
                          " cannot be reached: " + httplib::to_string(res.error()));
    }
    if (res->status != 200) {
        std::string detail = xml_tag(res->body, "Code");
        const std::string message = xml_tag(res->body, "Message");
        if (!message.empty()) {
            detail += (detail.empty() ? "" : ": ") + message;
        }
        std::string hint;
        if (res->status == 301 || res->status == 307) {
            hint = " (the bucket is in another region: set AWS_REGION to the bucket's region)";
        } else if (res->status == 403) {
            hint = " (the task role or credentials need s3:GetObject on this object)";
        }
        return make_error(what + ": HTTP " + std::to_string(res->status) +
                          (detail.empty() ? "" : " (" + detail + ")") + hint);
    }
    if (res->body.size() > options_.max_object_bytes) {
        return make_error(what + ": object larger than " +
                          std::to_string(options_.max_object_bytes) + " bytes");
    }
    return std::move(res->body);
}

// ---- TempFiles ------------------------------------------------------------------------------

TempFiles::TempFiles() {
    static std::once_flag handler;
    std::call_once(handler, [] { std::atexit(remove_live_files); });
    auto& live = live_temp_files();
    std::lock_guard<std::mutex> lock(live.mutex);
    live.all.insert(this);
}

TempFiles::~TempFiles() {
    {
        auto& live = live_temp_files();
        std::lock_guard<std::mutex> lock(live.mutex);
        live.all.erase(this);
    }
    remove_all();
}

TempFiles& TempFiles::process() {
    static TempFiles* instance = new TempFiles(); // never destroyed: removed by the exit handler
    return *instance;
}

Result<std::string> TempFiles::write(std::string_view contents, std::string_view suffix) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (dir_.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        std::string templ =
            std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/kmirror-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) {
            return make_error("cannot create a private temporary directory in " +
                              templ.substr(0, templ.rfind('/')) + ": " + std::strerror(errno));
        }
        ::chmod(templ.c_str(), 0700);
        dir_ = templ;
    }
    std::string path = dir_ + "/f-XXXXXX" + std::string(suffix);
    const int fd = ::mkstemps(path.data(), static_cast<int>(suffix.size()));
    if (fd < 0) {
        return make_error("cannot create a private temporary file in " + dir_ + ": " +
                          std::strerror(errno));
    }
    ::fchmod(fd, 0600);
    files_.push_back(path);
    size_t done = 0;
    while (done < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const std::string err = std::strerror(errno);
            ::close(fd);
            return make_error("cannot write " + path + ": " + err);
        }
        done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) {
        return make_error("cannot write " + path + ": " + std::strerror(errno));
    }
    return path;
}

void TempFiles::remove_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& f : files_) {
        ::unlink(f.c_str());
    }
    files_.clear();
    if (!dir_.empty()) {
        ::rmdir(dir_.c_str());
        dir_.clear();
    }
}

std::vector<std::string> TempFiles::paths() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return files_;
}

// ---- Loading --------------------------------------------------------------------------------

Result<std::string> read_location(const std::string& location, S3Fetcher& s3) {
    if (is_s3_uri(location)) {
        auto uri = parse_s3_uri(location);
        if (!uri) {
            return uri.error();
        }
        return s3.get(*uri);
    }
    std::ifstream in(location, std::ios::binary);
    if (!in) {
        return make_error("cannot read " + location + ": " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool is_file_key(std::string_view key) {
    const auto ends_with = [&](std::string_view s) {
        return key.size() >= s.size() && key.substr(key.size() - s.size()) == s;
    };
    return ends_with(".location") || ends_with(".keytab");
}

Status materialize_remote_files(Properties& props, S3Fetcher& s3, TempFiles& temp) {
    for (const auto& key : std::vector<std::string>(props.keys())) {
        const std::string* value = props.find(key);
        if (value == nullptr || !is_file_key(key) || !is_s3_uri(*value)) {
            continue;
        }
        auto uri = parse_s3_uri(*value);
        if (!uri) {
            return make_error(key + ": " + uri.error().message);
        }
        auto bytes = s3.get(*uri);
        if (!bytes) {
            return make_error(key + ": " + bytes.error().message);
        }
        auto path = temp.write(*bytes, suffix_of(uri->key));
        if (!path) {
            return make_error(key + ": " + path.error().message);
        }
        props.set(key, *path);
    }
    return Status::success();
}

Result<Properties> load_properties(const std::string& location, const EnvLookup& env, S3Fetcher& s3,
                                   TempFiles& temp) {
    auto text = read_location(location, s3);
    if (!text) {
        return text.error();
    }
    auto parsed = Properties::parse(*text);
    if (!parsed) {
        return make_error(location + ": " + parsed.error().message);
    }
    auto resolved = interpolate(*parsed, env);
    if (!resolved) {
        return make_error(location + ": " + resolved.error().message);
    }
    if (auto s = materialize_remote_files(*resolved, s3, temp); !s) {
        return make_error(location + ": " + s.error().message);
    }
    return resolved;
}

} // namespace kmirror::config
