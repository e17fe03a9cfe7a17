// Result type used inside libraries: a value or an Error carrying a human-readable message.
// Exceptions are reserved for start-up and the REST edge (see docs/adr/0001).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace kmirror {

struct Error {
    std::string message;
};

template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : data_(std::move(value)) {}     // NOLINT(google-explicit-constructor)
    Result(Error error) : data_(std::move(error)) {} // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(data_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(data_); }
    const T& value() const& { return std::get<T>(data_); }
    T&& value() && { return std::get<T>(std::move(data_)); }
    T* operator->() { return &std::get<T>(data_); }
    const T* operator->() const { return &std::get<T>(data_); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<Error>(data_); }

private:
    std::variant<T, Error> data_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error)
        : error_(std::move(error)), ok_(false) {} // NOLINT(google-explicit-constructor)
    static Status success() { return {}; }

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

private:
    Error error_;
    bool ok_ = true;
};

inline Error make_error(std::string message) {
    return Error{std::move(message)};
}

} // namespace kmirror
