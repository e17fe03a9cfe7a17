#include "support/worker_process.h"

#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <sstream>
#include <utility>
#include <vector>

namespace kmirror::testing {

using namespace std::chrono_literals;

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string seed_worker_file(const std::string& group, const std::string& dir) {
    const std::string path = dir + "/" + unique_name("connect-distributed") + ".properties";
    const auto seed =
        read_text_file(std::string(KMIRROR_SOURCE_DIR) +
                       "/tests/fixtures/connect/connect-distributed-no-auth.properties");
    std::ofstream out(path);
    std::istringstream in(seed);
    std::string line;
    while (std::getline(in, line)) {
        line = std::regex_replace(line, std::regex("BROKERS"), target_cluster().plaintext);
        line = std::regex_replace(line, std::regex("GROUP"), group);
        line = std::regex_replace(line, std::regex("replication.factor=3"), "replication.factor=1");
        out << line << "\n";
    }
    out << "listeners=http://127.0.0.1:0\nrest.advertised.host.name=127.0.0.1\n"
        << "kmirror.worker.status.interval.ms=500\nkmirror.worker.liveness.timeout.ms=4000\n";
    return path;
}

WorkerProcess::WorkerProcess(const std::string& file, std::map<std::string, std::string> env) {
    proc = std::make_unique<ChildProcess>(KMIRROR_BINARY, std::vector<std::string>{"worker", file},
                                          std::move(env));
    static const std::regex re(R"(worker 127\.0\.0\.1:([0-9]+) \(group)");
    const bool up = eventually(
        [&] {
            std::smatch m;
            const std::string log = proc->log();
            if (std::regex_search(log, m, re)) {
                port = std::stoi(m[1]);
                return true;
            }
            return !proc->running();
        },
        60s);
    EXPECT_TRUE(up && port > 0) << proc->log();
    http = std::make_unique<httplib::Client>("127.0.0.1", port);
    http->set_read_timeout(60, 0);
}

RestReply rest_call(WorkerProcess& w, const std::string& method, const std::string& path,
                    const std::string& body) {
    httplib::Result r = method == "GET"    ? w.http->Get(path.c_str())
                        : method == "PUT"  ? w.http->Put(path.c_str(), body, "application/json")
                        : method == "POST" ? w.http->Post(path.c_str(), body, "application/json")
                                           : w.http->Delete(path.c_str());
    if (!r) {
        return {};
    }
    RestReply out{r->status, r->body, nlohmann::json()};
    if (!r->body.empty()) {
        out.body = nlohmann::json::parse(r->body, nullptr, false);
    }
    return out;
}

} // namespace kmirror::testing
