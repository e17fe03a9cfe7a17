// Record batches (magic 2) as they travel in Fetch and Produce: header fields, the split of a
// fetched partition's records into whole batches, read_committed filtering, and the rewrite
// that lets a fetched batch be produced again unchanged in its records. Pure logic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::wire {

// Byte layout of a magic-2 batch header (KIP-98).
inline constexpr size_t kBatchLengthAt = 8; // int32: bytes after this field
inline constexpr size_t kMagicAt = 16;      // same place in the legacy message formats
inline constexpr size_t kCrcAt = 17;        // uint32 over attributes..end
inline constexpr size_t kAttributesAt = 21; // int16
inline constexpr size_t kProducerIdAt = 43; // int64, int16 epoch, int32 base sequence
inline constexpr size_t kBatchHeaderSize = 61;

inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kLogAppendTimeFlag = 0x08;
inline constexpr int16_t kTransactionalFlag = 0x10;
inline constexpr int16_t kControlFlag = 0x20;
inline constexpr int16_t kDeleteHorizonFlag = 0x40;

struct BatchHeader {
    int64_t base_offset = 0;
    int32_t leader_epoch = -1;
    int8_t magic = 0;
    uint32_t crc = 0;
    int16_t attributes = 0;
    int32_t last_offset_delta = 0;
    int64_t base_timestamp = 0;
    int64_t max_timestamp = 0;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    int32_t record_count = 0;

    int64_t last_offset() const { return base_offset + last_offset_delta; }
    int compression() const { return attributes & kCompressionMask; }
    bool transactional() const { return (attributes & kTransactionalFlag) != 0; }
    bool control() const { return (attributes & kControlFlag) != 0; }
};

// A whole batch inside a fetched partition's records.
struct BatchSlice {
    size_t offset = 0; // into the records
    size_t size = 0;
    BatchHeader header;
};

// Splits records into whole batches, in order. A last batch cut short by the fetch size limit
// is left out (it is fetched again whole). Legacy (magic 0/1) batches are returned with only
// base_offset and magic set.
std::vector<BatchSlice> split_batches(std::string_view records);

struct AbortedTransaction {
    int64_t producer_id = -1;
    int64_t first_offset = -1;
};

enum class BatchAction { forward, skip };

// read_committed over one fetch response of one partition, as a Kafka consumer does it: data
// batches of aborted transactions and all control batches are skipped.
class ReadCommittedFilter {
public:
    explicit ReadCommittedFilter(std::vector<AbortedTransaction> aborted);
    // Batches must be given in offset order.
    BatchAction classify(const BatchHeader& header, std::string_view batch);

private:
    std::vector<AbortedTransaction> aborted_; // sorted by first_offset
    size_t next_ = 0;
    std::vector<int64_t> aborting_; // producers with an open aborted transaction
};

// Why a fetched batch cannot be produced again as it is, or nullopt when it can.
// `fetch_offset`: the first source offset wanted; `producer_compression`: the codec the
// replication producer is configured with (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd); with
// none, batches keep the codec they were fetched with.
std::optional<std::string> forwarding_obstacle(const BatchHeader& header, int64_t fetch_offset,
                                               int producer_compression);

// Turns a fetched batch (in place) into one an idempotent producer sends: base offset 0, no
// leader epoch, not transactional, the given producer id, epoch and base sequence; the CRC is
// computed again. Key, value, headers, timestamps and compression are unchanged.
void rewrite_for_produce(char* batch, size_t size, int64_t producer_id, int16_t producer_epoch,
                         int32_t base_sequence);

// Key and value bytes of an uncompressed batch's records (what MM2's byte-count and the record
// path count); nullopt for a compressed or malformed batch.
struct RecordBytes {
    int64_t keys = 0;
    int64_t values = 0;
};
std::optional<RecordBytes> record_bytes(std::string_view batch);

// Codec number of a Kafka compression.type value; -1 for an unknown name.
int compression_codec(std::string_view name);

} // namespace kmirror::wire
