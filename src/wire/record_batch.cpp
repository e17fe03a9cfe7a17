#include "wire/record_batch.h"

#include "wire/codec.h"
#include "wire/crc32c.h"

#include <algorithm>

namespace kmirror::wire {
namespace {

void store_be(char* at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
        at[i] = static_cast<char>((v >> (8 * (bytes - 1 - i))) & 0xFF);
    }
}

// Control record key: version int16, type int16 (0 abort, 1 commit).
std::optional<int16_t> control_type(std::string_view batch) {
    Reader r(batch.substr(kBatchHeaderSize));
    r.varint();  // record length
    r.i8();      // attributes
    r.varlong(); // timestamp delta
    r.varint();  // offset delta
    const int32_t key_length = r.varint();
    if (key_length < 4) {
        return std::nullopt;
    }
    r.i16(); // version
    const int16_t type = r.i16();
    return r.ok() ? std::optional<int16_t>(type) : std::nullopt;
}

} // namespace

std::vector<BatchSlice> split_batches(std::string_view records) {
    std::vector<BatchSlice> out;
    size_t at = 0;
    while (records.size() - at > kMagicAt) {
        Reader r(records.substr(at));
        BatchSlice slice;
        slice.header.base_offset = r.i64();
        const int32_t length = r.i32();
        if (length <= 0 || records.size() - at - 12 < static_cast<size_t>(length)) {
            break; // cut short by the fetch size
        }
        slice.offset = at;
        slice.size = 12 + static_cast<size_t>(length);
        auto& h = slice.header;
        h.leader_epoch = r.i32();
        h.magic = r.i8();
        if (h.magic == 2 && slice.size >= kBatchHeaderSize) {
            h.crc = static_cast<uint32_t>(r.i32());
            h.attributes = r.i16();
            h.last_offset_delta = r.i32();
            h.base_timestamp = r.i64();
            h.max_timestamp = r.i64();
            h.producer_id = r.i64();
            h.producer_epoch = r.i16();
            h.base_sequence = r.i32();
            h.record_count = r.i32();
        }
        out.push_back(slice);
        at += slice.size;
    }
    return out;
}

ReadCommittedFilter::ReadCommittedFilter(std::vector<AbortedTransaction> aborted)
    : aborted_(std::move(aborted)) {
    std::sort(aborted_.begin(), aborted_.end(),
              [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
}

BatchAction ReadCommittedFilter::classify(const BatchHeader& header, std::string_view batch) {
    // Aborted transactions that began at or before this batch are open from here on.
    while (next_ < aborted_.size() && aborted_[next_].first_offset <= header.last_offset()) {
        aborting_.push_back(aborted_[next_].producer_id);
        ++next_;
    }
    const auto open = std::find(aborting_.begin(), aborting_.end(), header.producer_id);
    if (header.control()) {
        if (open != aborting_.end() && control_type(batch) == std::optional<int16_t>(0)) {
            aborting_.erase(open); // the abort marker ends that transaction
        }
        return BatchAction::skip;
    }
    if (header.transactional() && open != aborting_.end()) {
        return BatchAction::skip;
    }
    return BatchAction::forward;
}

std::optional<std::string> forwarding_obstacle(const BatchHeader& header, int64_t fetch_offset,
                                               int producer_compression) {
    if (header.magic != 2) {
        return "record format magic " + std::to_string(header.magic);
    }
    if (header.base_offset < fetch_offset) {
        return "the batch at offset " + std::to_string(header.base_offset) +
               " starts before the next offset to copy (" + std::to_string(fetch_offset) + ")";
    }
    if (header.record_count != header.last_offset_delta + 1) {
        return "offset gaps left by compaction";
    }
    if ((header.attributes & kLogAppendTimeFlag) != 0) {
        return "log-append-time timestamps";
    }
    if ((header.attributes & kDeleteHorizonFlag) != 0) {
        return "a delete horizon set by compaction";
    }
    // With no producer compression, a compressed batch is copied compressed: the same records,
    // fewer bytes. A configured compression.type is honoured.
    if (producer_compression != 0 && header.compression() != producer_compression) {
        return "compression codec " + std::to_string(header.compression()) +
               " differs from the producer's compression.type";
    }
    return std::nullopt;
}

void rewrite_for_produce(char* batch, size_t size, int64_t producer_id, int16_t producer_epoch,
                         int32_t base_sequence) {
    store_be(batch, 0, 8);                // base offset: the broker assigns offsets
    store_be(batch + 12, 0xFFFFFFFFU, 4); // partition leader epoch: -1
    const auto attributes =
        static_cast<uint16_t>(((static_cast<uint8_t>(batch[kAttributesAt]) << 8) |
                               static_cast<uint8_t>(batch[kAttributesAt + 1])) &
                              ~static_cast<uint16_t>(kTransactionalFlag));
    store_be(batch + kAttributesAt, attributes, 2);
    store_be(batch + kProducerIdAt, static_cast<uint64_t>(producer_id), 8);
    store_be(batch + kProducerIdAt + 8, static_cast<uint16_t>(producer_epoch), 2);
    store_be(batch + kProducerIdAt + 10, static_cast<uint32_t>(base_sequence), 4);
    const uint32_t crc =
        crc32c(reinterpret_cast<const uint8_t*>(batch + kAttributesAt), size - kAttributesAt);
    store_be(batch + kCrcAt, crc, 4);
}

std::optional<RecordBytes> record_bytes(std::string_view batch) {
    const auto slices = split_batches(batch);
    if (slices.size() != 1 || slices[0].header.magic != 2 || slices[0].header.compression() != 0) {
        return std::nullopt;
    }
    Reader r(batch.substr(kBatchHeaderSize));
    RecordBytes out;
    for (int32_t i = 0; i < slices[0].header.record_count; ++i) {
        const int32_t length = r.varint();
        const size_t start = r.position();
        r.i8();      // attributes
        r.varlong(); // timestamp delta
        r.varint();  // offset delta
        const int32_t key = r.varint();
        if (key > 0) {
            out.keys += key;
            r.skip(static_cast<size_t>(key));
        }
        const int32_t value = r.varint();
        if (value > 0) {
            out.values += value;
        }
        if (!r.ok() || length < 0 || r.position() > start + static_cast<size_t>(length)) {
            return std::nullopt;
        }
        r.skip(start + static_cast<size_t>(length) - r.position()); // the value and headers
    }
    if (!r.ok()) {
        return std::nullopt;
    }
    return out;
}

int compression_codec(std::string_view name) {
    static constexpr std::string_view kNames[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int i = 0; i < 5; ++i) {
        if (name == kNames[i]) {
            return i;
        }
    }
    return -1;
}

} // namespace kmirror::wire
