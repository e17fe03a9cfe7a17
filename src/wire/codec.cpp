#include "wire/codec.h"

namespace kmirror::wire {

void Writer::put(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
}

void Writer::string(std::string_view s) {
    i16(static_cast<int16_t>(s.size()));
    out_.append(s);
}

void Writer::bytes(std::string_view b) {
    i32(static_cast<int32_t>(b.size()));
    out_.append(b);
}

size_t Writer::reserve_i32() {
    const size_t at = out_.size();
    i32(0);
    return at;
}

void Writer::patch_i32(size_t at, int32_t v) {
    const auto u = static_cast<uint32_t>(v);
    for (int i = 0; i < 4; ++i) {
        out_[at + static_cast<size_t>(i)] = static_cast<char>((u >> (8 * (3 - i))) & 0xFF);
    }
}

uint64_t Reader::get(int bytes) {
    if (!ok_ || size_ - pos_ < static_cast<size_t>(bytes)) {
        ok_ = false;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
        v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
    }
    return v;
}

std::string_view Reader::raw(size_t size) {
    if (!ok_ || size_ - pos_ < size) {
        ok_ = false;
        return {};
    }
    std::string_view out(data_ + pos_, size);
    pos_ += size;
    return out;
}

std::string_view Reader::string() {
    const int16_t n = i16();
    return n <= 0 ? std::string_view() : raw(static_cast<size_t>(n));
}

std::string_view Reader::bytes() {
    const int32_t n = i32();
    return n <= 0 ? std::string_view() : raw(static_cast<size_t>(n));
}

int64_t Reader::varlong() {
    uint64_t raw_value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const auto b = static_cast<uint64_t>(static_cast<uint8_t>(get(1)));
        if (!ok_) {
            return 0;
        }
        raw_value |= (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
            return static_cast<int64_t>(raw_value >> 1) ^ -static_cast<int64_t>(raw_value & 1);
        }
    }
    ok_ = false;
    return 0;
}

void append_varlong(std::string& out, int64_t v) {
    auto z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    while (z >= 0x80) {
        out.push_back(static_cast<char>((z & 0x7F) | 0x80));
        z >>= 7;
    }
    out.push_back(static_cast<char>(z));
}

} // namespace kmirror::wire
