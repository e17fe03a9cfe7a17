#include "http/http_server.h"

#include "util/log.h"
#include "util/strings.h"

#include <httplib.h>
#include <thread>

namespace kmirror::http {

Result<Listener> parse_listener(std::string_view text) {
    std::string_view rest = text;
    if (rest.rfind("http://", 0) == 0) {
        rest.remove_prefix(7);
    } else if (rest.find("://") != std::string_view::npos) {
        return make_error("listener '" + std::string(text) +
                          "': only http:// is supported (expected http://HOST:PORT)");
    }
    while (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
        return make_error("listener '" + std::string(text) + "': expected http://HOST:PORT");
    }
    Listener l;
    std::string host(rest.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (!host.empty()) {
        l.host = host;
    }
    long long port = -1;
    if (!strings::parse_int64(std::string(rest.substr(colon + 1)), port) || port < 0 ||
        port > 65535) {
        return make_error("listener '" + std::string(text) +
                          "': the port must be a number between 0 and 65535");
    }
    l.port = static_cast<int>(port);
    return l;
}

struct HttpServer::Impl {
    ServerOptions options;
    httplib::Server server;
    std::thread thread;
    bool started = false;
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    const int threads = std::max(1, impl_->options.threads);
    impl_->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    impl_->server.set_read_timeout(impl_->options.io_timeout_s, 0);
    impl_->server.set_write_timeout(impl_->options.io_timeout_s, 0);
    impl_->server.set_keep_alive_max_count(100);
}

HttpServer::~HttpServer() {
    stop();
}

namespace {

httplib::Server::Handler wrap(Handler handler) {
    return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        Request r{req.method, req.path, {}, req.body};
        for (const auto& [k, v] : req.params) {
            auto [it, inserted] = r.params.emplace(k, v);
            if (!inserted) {
                it->second += "," + v; // a repeated parameter: ?expand=status&expand=info
            }
        }
        Response out;
        try {
            out = handler(r);
        } catch (const std::exception& e) {
            out = Response{500, "text/plain; charset=utf-8", std::string(e.what()) + "\n", {}};
        }
        res.status = out.status;
        for (const auto& [k, v] : out.headers) {
            res.set_header(k.c_str(), v);
        }
        if (!out.body.empty()) {
            res.set_content(out.body, out.content_type.c_str());
        }
    };
}

} // namespace

void HttpServer::get(const std::string& path, Handler handler) {
    impl_->server.Get(path, wrap(std::move(handler)));
}

void HttpServer::any(Handler handler) {
    auto h = wrap(std::move(handler));
    impl_->server.Get(".*", h);
    impl_->server.Post(".*", h);
    impl_->server.Put(".*", h);
    impl_->server.Patch(".*", h);
    impl_->server.Delete(".*", h);
}

Status HttpServer::start(const Listener& listener) {
    if (impl_->started) {
        return make_error(impl_->options.name + ": already started");
    }
    auto& server = impl_->server;
    if (listener.port == 0) {
        port_ = server.bind_to_any_port(listener.host.c_str());
        if (port_ <= 0) {
            return make_error(impl_->options.name + ": cannot listen on " + listener.host +
                              " (any port)");
        }
    } else {
        if (!server.bind_to_port(listener.host.c_str(), listener.port)) {
            return make_error(impl_->options.name + ": cannot listen on " + listener.host + ":" +
                              std::to_string(listener.port) +
                              " (port in use or address not local?)");
        }
        port_ = listener.port;
    }
    impl_->started = true;
    impl_->thread = std::thread([this] {
        if (!impl_->server.listen_after_bind()) {
            log::debug(impl_->options.name + ": listener stopped");
        }
    });
    log::info(impl_->options.name + ": listening on http://" + listener.host + ":" +
              std::to_string(port_));
    return {};
}

void HttpServer::stop() noexcept {
    if (!impl_ || !impl_->started) {
        return;
    }
    impl_->started = false;
    impl_->server.stop();
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
}

} // namespace kmirror::http
