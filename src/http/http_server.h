// A small HTTP/1.1 server for kmirror's operational endpoints (/metrics, /health, later the
// REST API), wrapping cpp-httplib so that its header stays out of every other translation unit.
//
// Threads: routes are added before start(); start() binds synchronously (so "port in use" is an
// error at start-up) and serves on one accept thread plus a bounded pool of `threads` workers.
// Handlers run on the worker threads. stop() is idempotent and joins everything.
#pragma once

#include "util/result.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmirror::http {

struct Request {
    std::string method;
    std::string path;
    std::map<std::string, std::string> params; // query parameters; repeated ones comma-joined
    std::string body;
};

struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // e.g. Location
};

using Handler = std::function<Response(const Request&)>;

// "http://HOST:PORT", "HOST:PORT" or ":PORT" (all interfaces). Port 0 picks a free port.
struct Listener {
    std::string host = "0.0.0.0";
    int port = 0;
};
Result<Listener> parse_listener(std::string_view text);

struct ServerOptions {
    int threads = 2;           // worker threads: requests beyond them wait in the queue
    int io_timeout_s = 10;     // per read / write
    std::string name = "http"; // for log and error messages
};

class HttpServer {
public:
    explicit HttpServer(ServerOptions options = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    void get(const std::string& path, Handler handler);
    // Every GET, POST, PUT, PATCH and DELETE request not matched by an earlier get() route.
    void any(Handler handler);

    Status start(const Listener& listener);
    int port() const { return port_; } // bound port, valid after start()
    void stop() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int port_ = 0;
};

} // namespace kmirror::http
