// `kmirror worker` as a child process for integration tests: the seed's worker file filled in
// for the test bed, the process with its REST port found in its log, and REST calls.
#pragma once

#include "support/testbed.h"

#include <httplib.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace kmirror::testing {

// The contents of a file ("" if it cannot be read).
std::string read_text_file(const std::string& path);

// The seed's no-auth worker file (tests/fixtures/connect/connect-distributed-no-auth.properties)
// with its placeholders filled for the bed: the target cluster's PLAINTEXT brokers, `group`,
// replication factor 1, an ephemeral REST port and fast status publishing. Written into `dir`;
// returns its path.
std::string seed_worker_file(const std::string& group, const std::string& dir = "/tmp");

// A running `kmirror worker FILE`; the constructor waits (up to 60 s) until it serves REST and
// records a failure if it does not.
struct WorkerProcess {
    explicit WorkerProcess(const std::string& file, std::map<std::string, std::string> env = {});
    std::string id() const { return "127.0.0.1:" + std::to_string(port); }

    std::unique_ptr<ChildProcess> proc;
    int port = 0;
    std::unique_ptr<httplib::Client> http;
};

struct RestReply {
    int status = 0; // 0: no answer
    std::string text;
    nlohmann::json body;
};

// GET, PUT, POST or DELETE `path` on the worker; a JSON body is parsed (discarded if invalid).
RestReply rest_call(WorkerProcess& w, const std::string& method, const std::string& path,
                    const std::string& body = "");

} // namespace kmirror::testing
