// One plaintext TCP connection to a Kafka broker: non-blocking, pipelined requests, responses
// matched to requests by correlation id (a broker answers a connection's requests in order).
// The owner polls fd()/events() together with its other connections and calls service().
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::wire {

struct Response {
    int32_t correlation_id = 0;
    uint64_t tag = 0;                  // what the sender attached to the request
    std::shared_ptr<std::string> data; // the whole response; body() points into it
    std::string_view body() const { return std::string_view(*data).substr(4); }
};

class BrokerConnection {
public:
    BrokerConnection(std::string host, int port, std::string client_id);
    ~BrokerConnection();
    BrokerConnection(const BrokerConnection&) = delete;
    BrokerConnection& operator=(const BrokerConnection&) = delete;

    // Starts connecting (the name lookup blocks). False with error() set on failure.
    bool connect();
    // Uses an already connected socket (tests: one end of a socketpair); takes ownership.
    void adopt(int fd);
    // Queues a request and writes what the socket takes now; returns its correlation id.
    int32_t send(int16_t api_key, int16_t version, std::string_view body, uint64_t tag);

    int fd() const { return fd_; }
    short events() const; // for poll(): POLLIN, and POLLOUT while there is something to write
    // Does the I/O poll() reported and appends complete responses. False when the connection
    // failed: error() says why, and every request in flight is lost.
    bool service(short revents, std::vector<Response>& out);

    size_t in_flight() const { return in_flight_.size(); }
    bool failed() const { return failed_; }
    const std::string& error() const { return error_; }
    const std::string& address() const { return address_; }

private:
    bool fail(const std::string& what);
    bool write_some();
    bool read_some(std::vector<Response>& out);
    bool deliver(std::shared_ptr<std::string> data, std::vector<Response>& out);

    std::string host_;
    int port_;
    std::string client_id_;
    std::string address_;
    int fd_ = -1;
    bool connecting_ = false;
    bool failed_ = false;
    std::string error_;
    int32_t next_correlation_ = 1;
    std::deque<std::string> outgoing_;
    size_t outgoing_sent_ = 0; // of outgoing_.front()
    struct Pending {
        int32_t correlation_id;
        uint64_t tag;
    };
    std::deque<Pending> in_flight_;
    std::string staging_; // received, not yet parsed: [staged_begin_, staged_end_)
    size_t staged_begin_ = 0;
    size_t staged_end_ = 0;
    std::shared_ptr<std::string> incoming_; // a large response being read
    size_t incoming_read_ = 0;
};

} // namespace kmirror::wire
