// ConnectRest: Kafka Connect's REST API (the subset in mm2.md §8) over a connect::HerderApi:
// routing, request parsing and validation, response shapes, status codes and Connect's error
// body {"error_code": N, "message": "..."}. Secrets in echoed configs print as "[hidden]".
// Threads: handle() from any HTTP worker thread (the herder does the locking).
#pragma once

#include "connect/herder_api.h"
#include "http/http_server.h"

#include <string>

namespace kmirror::rest {

class ConnectRest {
public:
    ConnectRest(connect::HerderApi& herder, std::string version, std::string commit);
    http::Response handle(const http::Request& request);

private:
    http::Response route(const http::Request& request);

    connect::HerderApi& herder_;
    std::string version_;
    std::string commit_;
};

} // namespace kmirror::rest
