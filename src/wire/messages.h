// The few Kafka requests the batch forwarder speaks, in fixed versions every broker from 2.4 to
// 4.x accepts: ApiVersions v0, Fetch v11, Produce v7 or v8, InitProducerId v1 (request header
// v1, response header v0). Encoders produce a request body without the size prefix and header;
// decoders take a response body after the correlation id. Pure.
#pragma once

#include "util/result.h"
#include "wire/record_batch.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::wire {

inline constexpr int16_t kApiProduce = 0;
inline constexpr int16_t kApiFetch = 1;
inline constexpr int16_t kApiInitProducerId = 22;
inline constexpr int16_t kApiVersions = 18;
inline constexpr int16_t kFetchVersion = 11;
inline constexpr int16_t kProduceVersion = 8;
inline constexpr int16_t kProduceVersionMin = 7; // v8 only adds error details to the response
inline constexpr int16_t kInitProducerIdVersion = 1;

// Error codes the forwarder acts on.
inline constexpr int16_t kErrOffsetOutOfRange = 1;
inline constexpr int16_t kErrUnknownTopicOrPartition = 3;
inline constexpr int16_t kErrNotLeader = 6;
inline constexpr int16_t kErrMessageTooLarge = 10;
inline constexpr int16_t kErrOutOfOrderSequence = 45;
inline constexpr int16_t kErrDuplicateSequence = 46;
inline constexpr int16_t kErrInvalidProducerEpoch = 47;
inline constexpr int16_t kErrUnknownProducerId = 59;

// Request header v1 (api key, version, correlation id, client id), size prefix included.
std::string frame_request(int16_t api_key, int16_t version, int32_t correlation_id,
                          std::string_view client_id, std::string_view body);

struct FetchPartitionRequest {
    int32_t partition = 0;
    int64_t offset = 0;
    int32_t max_bytes = 0;
};
struct FetchTopicRequest {
    std::string topic;
    std::vector<FetchPartitionRequest> partitions;
};
// isolation: 0 read_uncommitted, 1 read_committed. No fetch session (a full fetch each time).
std::string encode_fetch(int32_t max_wait_ms, int32_t min_bytes, int32_t max_bytes,
                         int8_t isolation, const std::vector<FetchTopicRequest>& topics);

struct FetchPartitionResponse {
    int32_t partition = 0;
    int16_t error = 0;
    int64_t high_watermark = -1;
    int64_t log_start_offset = -1;
    std::vector<AbortedTransaction> aborted;
    std::string_view records; // points into the response body
};
struct FetchTopicResponse {
    std::string topic;
    std::vector<FetchPartitionResponse> partitions;
};
struct FetchResponse {
    int16_t error = 0;
    std::vector<FetchTopicResponse> topics;
};
Result<FetchResponse> decode_fetch(std::string_view body);

struct ProduceBatch {
    int32_t partition = 0;
    std::string_view batch;
};
struct ProduceTopic {
    std::string topic;
    std::vector<ProduceBatch> batches; // one per partition (magic 2 allows no more)
};
// `batch_at` receives, in order, where each batch starts in the returned body (so it can be
// rewritten in place).
std::string encode_produce(int16_t acks, int32_t timeout_ms,
                           const std::vector<ProduceTopic>& topics, std::vector<size_t>& batch_at);

struct ProducePartitionResponse {
    int32_t partition = 0;
    int16_t error = 0;
    int64_t base_offset = -1;
    std::string error_message;
};
struct ProduceTopicResponse {
    std::string topic;
    std::vector<ProducePartitionResponse> partitions;
};
Result<std::vector<ProduceTopicResponse>> decode_produce(std::string_view body,
                                                         int16_t version = kProduceVersion);

struct ApiVersionRange {
    int16_t api_key = 0;
    int16_t min = 0;
    int16_t max = 0;
};
// ApiVersions v0 (empty request body).
Result<std::vector<ApiVersionRange>> decode_api_versions(std::string_view body);
// The versions the forwarder uses with a broker offering `offered`, or an error naming the
// request the broker cannot take.
struct ChosenVersions {
    int16_t produce = kProduceVersion;
};
Result<ChosenVersions> choose_versions(const std::vector<ApiVersionRange>& offered);

std::string encode_init_producer_id(int32_t transaction_timeout_ms);
struct ProducerIdentity {
    int64_t producer_id = -1;
    int16_t epoch = -1;
    int16_t error = 0; // the broker's error code; the id is valid only when 0
};
Result<ProducerIdentity> decode_init_producer_id(std::string_view body);

} // namespace kmirror::wire
