// Kafka protocol primitives: big-endian integers, strings and arrays in the classic
// (non-flexible) encoding, and the zig-zag varints of record batches. Pure, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kmirror::wire {

class Writer {
public:
    void i8(int8_t v) { out_.push_back(static_cast<char>(v)); }
    void i16(int16_t v) { put(static_cast<uint64_t>(static_cast<uint16_t>(v)), 2); }
    void i32(int32_t v) { put(static_cast<uint64_t>(static_cast<uint32_t>(v)), 4); }
    void i64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
    void string(std::string_view s); // int16 length + bytes
    void null_string() { i16(-1); }  // nullable string: null
    void bytes(std::string_view b);  // int32 length + bytes
    void raw(std::string_view b) { out_.append(b); }
    // Reserves an int32 to be filled in later (e.g. a size), returns its position.
    size_t reserve_i32();
    void patch_i32(size_t at, int32_t v);
    size_t size() const { return out_.size(); }
    std::string& buffer() { return out_; }
    std::string take() { return std::move(out_); }

private:
    void put(uint64_t v, int bytes);
    std::string out_;
};

// Bounds-checked reads: past the end, reads return zero values and ok() turns false for good.
class Reader {
public:
    Reader(const char* data, size_t size) : data_(data), size_(size) {}
    explicit Reader(std::string_view s) : Reader(s.data(), s.size()) {}
    int8_t i8() { return static_cast<int8_t>(get(1)); }
    int16_t i16() { return static_cast<int16_t>(get(2)); }
    int32_t i32() { return static_cast<int32_t>(get(4)); }
    int64_t i64() { return static_cast<int64_t>(get(8)); }
    std::string_view string();         // int16 length; null reads as empty
    std::string_view bytes();          // int32 length; null reads as empty
    std::string_view raw(size_t size); // the next `size` bytes
    int64_t varlong();                 // zig-zag varint (record fields)
    int32_t varint() { return static_cast<int32_t>(varlong()); }
    void skip(size_t size) { raw(size); }
    bool ok() const { return ok_; }
    size_t remaining() const { return ok_ ? size_ - pos_ : 0; }
    size_t position() const { return pos_; }

private:
    uint64_t get(int bytes);
    const char* data_;
    size_t size_;
    size_t pos_ = 0;
    bool ok_ = true;
};

// Appends a zig-zag varint.
void append_varlong(std::string& out, int64_t v);

} // namespace kmirror::wire
