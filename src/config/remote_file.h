// Configuration files, truststores and keystores given as `s3://bucket/key` URIs, the way ECS
// tasks receive them (the image carries no AWS CLI).
//
// Objects are fetched with a SigV4-signed GET (kafka/sigv4.h) using the same AWS credential chain
// as MSK IAM (kafka/aws_credentials.h: environment, profile, web identity, ECS task role, IMDS).
// Endpoint: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL (path-style, http only to loopback), else
// https://BUCKET.s3.REGION.amazonaws.com (virtual-hosted; path-style for bucket names with dots).
// Region: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
//
// Key material is written to private files (directory 0700, files 0600) that are removed when the
// TempFiles object is destroyed and, for every TempFiles still alive then, at process exit
// (std::exit / return from main). Error texts name the URI and the cause, never credentials or
// object contents.
#pragma once

#include "config/interpolate.h"
#include "kafka/aws_credentials.h"
#include "util/properties.h"
#include "util/result.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::config {

struct S3Uri {
    std::string bucket;
    std::string key; // without the leading '/'
};
bool is_s3_uri(std::string_view location);
Result<S3Uri> parse_s3_uri(std::string_view location);

struct RemoteOptions {
    kafka::aws::AwsContext aws;                   // environment, clock, credential endpoints
    std::chrono::milliseconds timeout{15000};     // S3 connect/read timeout
    kafka::aws::ProviderPtr credentials;          // null: the default chain built from `aws`
    size_t max_object_bytes = 64u * 1024u * 1024; // refuse larger objects
};

class S3Fetcher {
public:
    explicit S3Fetcher(RemoteOptions options = {});
    // The object's bytes.
    Result<std::string> get(const S3Uri& uri);
    // The URL that get() requests (for errors and tests).
    Result<std::string> url_for(const S3Uri& uri) const;

private:
    RemoteOptions options_;
    std::shared_ptr<kafka::aws::CachedCredentials> credentials_;
};

// Private temporary files; removed by the destructor (and by remove_all()) and, while the object
// is alive, at process exit (an std::atexit handler walks all live instances).
class TempFiles {
public:
    TempFiles();
    ~TempFiles();
    TempFiles(const TempFiles&) = delete;
    TempFiles& operator=(const TempFiles&) = delete;

    // The process-wide instance (never destroyed; its files are removed at exit).
    static TempFiles& process();

    // Writes `contents` to a new 0600 file whose name ends in `suffix` (e.g. ".jks").
    Result<std::string> write(std::string_view contents, std::string_view suffix);
    void remove_all();
    std::vector<std::string> paths() const;

private:
    mutable std::mutex mutex_;
    std::string dir_; // created on first write (0700)
    std::vector<std::string> files_;
};

// A local path's or an s3:// URI's contents.
Result<std::string> read_location(const std::string& location, S3Fetcher& s3);

// True for keys whose values name files the clients open: *.location (ssl.truststore.location,
// ssl.keystore.location, ssl.ca.location, ssl.certificate.location, ssl.key.location, ...) and
// *.keytab.
bool is_file_key(std::string_view key);

// Replaces every s3:// value under a file key with a private temporary copy of the object. Used
// for properties files (load_properties) and for connector configurations when a worker starts
// a connector (connect/connector_runner.h). Errors name the key and the URI.
Status materialize_remote_files(Properties& props, S3Fetcher& s3, TempFiles& temp);

// The configuration as ECS delivers it: read `location` (path or s3://), parse it as a Java
// properties file, resolve ${ENV} references, then fetch s3:// key material into `temp`.
Result<Properties> load_properties(const std::string& location, const EnvLookup& env, S3Fetcher& s3,
                                   TempFiles& temp);

} // namespace kmirror::config
