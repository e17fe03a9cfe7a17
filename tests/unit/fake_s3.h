// A local S3 for unit tests: a cpp-httplib server holding objects by "/bucket/key" that
// re-derives every request's SigV4 signature (kafka/sigv4.h) from fixed test credentials and
// answers 403 SignatureDoesNotMatch when it differs, 404 NoSuchKey for a missing object.
#pragma once

#include "kafka/sigv4.h"

#include <chrono>
#include <httplib.h>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace kmirror::testing::fake_s3 {

namespace sigv4 = kafka::sigv4;

inline const sigv4::TimePoint kNow = sigv4::Clock::from_time_t(1700000000);
constexpr const char* kAccessKey = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI-SECRET-KEY";
constexpr const char* kToken = "SESSION-TOKEN-value";
constexpr const char* kRegion = "eu-west-1";

// A local S3: objects by "/bucket/key" (unencoded), SigV4 checked against kSecret.
class FakeS3 {
public:
    FakeS3() {
        port_ = server_.bind_to_any_port("127.0.0.1");
        server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
            handle(req, res);
        });
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
        }
    }
    ~FakeS3() {
        server_.stop();
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    int port() const { return port_; }
    void put(const std::string& path, const std::string& body) {
        std::lock_guard<std::mutex> lock(mutex_);
        objects_[path] = body;
    }
    int requests() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }

private:
    static void error(httplib::Response& res, int status, const std::string& code) {
        res.status = status;
        res.set_content("<?xml version=\"1.0\"?><Error><Code>" + code +
                            "</Code><Message>fake s3 says " + code + "</Message></Error>",
                        "application/xml");
    }

    void handle(const httplib::Request& req, httplib::Response& res) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++requests_;
        }
        // Re-derive the signature from what arrived (req.path is decoded by httplib).
        sigv4::Request sreq;
        sreq.method = req.method;
        sreq.host = req.get_header_value("Host");
        sreq.path = req.path;
        sreq.headers = {{"x-amz-content-sha256", req.get_header_value("x-amz-content-sha256")}};
        const sigv4::Credentials creds{kAccessKey, kSecret, kToken, std::nullopt};
        const auto expected = sigv4::sign_headers(sreq, creds, {kRegion, "s3", kNow});
        std::string expected_auth;
        for (const auto& [k, v] : expected.headers) {
            if (k == "Authorization") {
                expected_auth = v;
            }
        }
        const bool ok = req.get_header_value("Authorization") == expected_auth &&
                        req.get_header_value("X-Amz-Date") == sigv4::amz_date(kNow) &&
                        req.get_header_value("X-Amz-Security-Token") == kToken &&
                        req.get_header_value("x-amz-content-sha256") == sigv4::sha256_hex("");
        if (!ok) {
            error(res, 403, "SignatureDoesNotMatch");
            return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = objects_.find(req.path);
        if (it == objects_.end()) {
            error(res, 404, "NoSuchKey");
            return;
        }
        res.set_content(it->second, "application/octet-stream");
    }

    httplib::Server server_;
    std::thread thread_;
    int port_ = 0;
    mutable std::mutex mutex_;
    std::map<std::string, std::string> objects_;
    int requests_ = 0;
};

} // namespace kmirror::testing::fake_s3
