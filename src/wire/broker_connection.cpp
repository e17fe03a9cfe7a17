#include "wire/broker_connection.h"

#include "wire/messages.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kmirror::wire {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr size_t kStagingBytes = 256 << 10;
constexpr int32_t kMaxResponseBytes = 1 << 30;

} // namespace

BrokerConnection::BrokerConnection(std::string host, int port, std::string client_id)
    : host_(std::move(host)), port_(port), client_id_(std::move(client_id)),
      address_(host_ + ":" + std::to_string(port_)) {}

BrokerConnection::~BrokerConnection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool BrokerConnection::fail(const std::string& what) {
    if (!failed_) {
        failed_ = true;
        error_ = "broker " + address_ + ": " + what;
    }
    return false;
}

bool BrokerConnection::connect() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found);
    if (rc != 0) {
        return fail(std::string("cannot resolve: ") + ::gai_strerror(rc));
    }
    std::string last = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        const int fd =
            ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last = std::strerror(errno);
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
            fd_ = fd;
            connecting_ = true;
            break;
        }
        last = std::strerror(errno);
        ::close(fd);
    }
    ::freeaddrinfo(found);
    return fd_ >= 0 ? true : fail("cannot connect: " + last);
}

void BrokerConnection::adopt(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    fd_ = fd;
    connecting_ = false;
}

int32_t BrokerConnection::send(int16_t api_key, int16_t version, std::string_view body,
                               uint64_t tag) {
    const int32_t id = next_correlation_++;
    outgoing_.push_back(frame_request(api_key, version, id, client_id_, body));
    in_flight_.push_back({id, tag});
    if (!connecting_ && !failed_) {
        write_some(); // most requests go out at once; a failure shows in the next service()
    }
    return id;
}

short BrokerConnection::events() const {
    return static_cast<short>(POLLIN | (connecting_ || !outgoing_.empty() ? POLLOUT : 0));
}

bool BrokerConnection::service(short revents, std::vector<Response>& out) {
    if (failed_) {
        return false;
    }
    if (connecting_ && (revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            return fail(std::string("cannot connect: ") + std::strerror(err));
        }
        connecting_ = false;
    }
    if (connecting_) {
        return true;
    }
    if ((revents & (POLLIN | POLLERR | POLLHUP)) != 0 && !read_some(out)) {
        return false;
    }
    return write_some();
}

bool BrokerConnection::write_some() {
    while (!outgoing_.empty()) {
        const std::string& front = outgoing_.front();
        const ssize_t n =
            ::send(fd_, front.data() + outgoing_sent_, front.size() - outgoing_sent_, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return true;
            }
            return fail(std::string("send failed: ") + std::strerror(errno));
        }
        outgoing_sent_ += static_cast<size_t>(n);
        if (outgoing_sent_ == front.size()) {
            outgoing_.pop_front();
            outgoing_sent_ = 0;
        }
    }
    return true;
}

bool BrokerConnection::deliver(std::shared_ptr<std::string> data, std::vector<Response>& out) {
    int32_t id = 0;
    for (size_t i = 0; i < 4; ++i) {
        id = (id << 8) | static_cast<uint8_t>((*data)[i]);
    }
    if (in_flight_.empty() || in_flight_.front().correlation_id != id) {
        return fail("response with unexpected correlation id " + std::to_string(id));
    }
    out.push_back({id, in_flight_.front().tag, std::move(data)});
    in_flight_.pop_front();
    return true;
}

// Small responses are read through a staging buffer (several per recv); a large one (a fetch)
// gets a buffer of its own, read into directly.
bool BrokerConnection::read_some(std::vector<Response>& out) {
    if (staging_.empty()) {
        staging_.resize(kStagingBytes);
    }
    for (int rounds = 0; rounds < 64; ++rounds) {
        char* into = nullptr;
        size_t room = 0;
        if (incoming_) {
            into = incoming_->data() + incoming_read_;
            room = std::min(kReadChunk, incoming_->size() - incoming_read_);
        } else {
            if (staged_begin_ > 0) { // keep the unparsed tail at the front
                std::memmove(staging_.data(), staging_.data() + staged_begin_,
                             staged_end_ - staged_begin_);
                staged_end_ -= staged_begin_;
                staged_begin_ = 0;
            }
            into = staging_.data() + staged_end_;
            room = staging_.size() - staged_end_;
        }
        const ssize_t n = ::recv(fd_, into, room, 0);
        if (n == 0) {
            return fail("connection closed by the broker");
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                return true;
            }
            return fail(std::string("receive failed: ") + std::strerror(errno));
        }
        if (incoming_) {
            incoming_read_ += static_cast<size_t>(n);
            if (incoming_read_ == incoming_->size() && !deliver(std::move(incoming_), out)) {
                return false;
            }
            continue;
        }
        staged_end_ += static_cast<size_t>(n);
        while (staged_end_ - staged_begin_ >= 4) {
            const char* at = staging_.data() + staged_begin_;
            int32_t size = 0;
            for (size_t i = 0; i < 4; ++i) {
                size = (size << 8) | static_cast<uint8_t>(at[i]);
            }
            if (size < 4 || size > kMaxResponseBytes) {
                return fail("bad response size " + std::to_string(size));
            }
            const size_t have = staged_end_ - staged_begin_ - 4;
            const auto need = static_cast<size_t>(size);
            if (have >= need) {
                if (!deliver(std::make_shared<std::string>(at + 4, need), out)) {
                    return false;
                }
                staged_begin_ += 4 + need;
            } else if (4 + need > staging_.size()) {
                incoming_ = std::make_shared<std::string>(need, '\0');
                std::memcpy(incoming_->data(), at + 4, have);
                incoming_read_ = have;
                staged_begin_ = staged_end_ = 0;
                break;
            } else {
                break; // the rest of a small response is still on its way
            }
        }
        if (staged_begin_ == staged_end_) {
            staged_begin_ = staged_end_ = 0;
        }
    }
    return true;
}

} // namespace kmirror::wire
