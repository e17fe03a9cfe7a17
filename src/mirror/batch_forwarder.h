// Batch forwarding: the copy path for source partitions whose record batches can be produced to
// the target as they were fetched (docs/adr/0007). It fetches from the source partition leaders
// and produces to the target partition leaders with its own Kafka protocol client (wire/), one
// fetched batch per partition per Produce request. A batch is never decoded: only its header is
// rewritten (offsets, producer id, sequence, CRC), so a record costs no per-record work at all.
// Records, keys, headers, timestamps and their order are those of the source.
//
// The producer is idempotent (its own producer id; sequences per target partition), so a batch
// sent again after a lost response is written once. A partition whose batch cannot be forwarded
// (compaction gaps, an old record format, log-append time, a different compression than the
// one configured, a batch the target refuses) is handed back to the record-by-record path at the
// first offset not copied, once nothing of it is in flight.
//
// Only plaintext connections: with TLS or SASL the task uses the record path for everything.
//
// Thread: owned by the source task's thread.
#pragma once

#include "wire/broker_connection.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::mirror {

struct BrokerAddress {
    std::string host;
    int port = 0;
    std::string key() const { return host + ":" + std::to_string(port); }
};

struct ForwarderSettings {
    std::string source_alias;
    std::string target_alias;
    std::string client_id;
    int8_t isolation = 1; // read_committed
    int32_t fetch_max_bytes = 52428800;
    int32_t partition_max_bytes = 1048576;
    int32_t fetch_max_wait_ms = 500;
    int64_t max_buffered_bytes = 64LL << 20; // half for fetched batches, half for produced ones
    int producer_compression = 0;            // wire::compression_codec of compression.type
    int32_t request_timeout_ms = 30000;
    int max_batches_in_flight = 5; // per partition; the broker deduplicates the last 5
};

// The target acknowledged one forwarded batch.
struct ForwardedBatch {
    int64_t upstream = 0;   // source offset of its first record
    int64_t downstream = 0; // target offset of its first record
    int32_t records = 0;
    int64_t bytes = 0; // key + value bytes (compressed batches: their record bytes as sent)
    int64_t max_timestamp = -1;
};

// What the Java consumer's fetch-manager metrics show, for the forwarder's fetches.
struct ForwarderFetchStats {
    int64_t rx_bytes = 0;      // all fetch responses so far
    double latency_avg_ms = 0; // since the last take_fetch_stats(); 0 without fetches
    double latency_max_ms = 0;
    struct Lag {
        std::string topic; // source topic
        int32_t partition = 0;
        int64_t records = 0;
    };
    std::vector<Lag> lags; // partitions with a known high watermark
};

class ForwarderEvents {
public:
    using Key = std::pair<std::string, int32_t>; // target topic, partition
    virtual ~ForwarderEvents() = default;
    // `value_bytes`: the records' value bytes (MM2's byte-count).
    virtual void on_fetched(const Key& key, int32_t records, int64_t value_bytes,
                            int64_t max_timestamp) = 0;
    virtual void on_forwarded(const Key& key, const ForwardedBatch& batch) = 0;
    // Copying stopped before source offset `upstream` and will not resume by itself (the task
    // retries from its progress later). The partition is no longer in the forwarder.
    virtual void on_failed(const Key& key, int64_t upstream, const std::string& why) = 0;
    // From `upstream` on, the partition must be copied record by record. Nothing of it is in
    // flight any more, and it is no longer in the forwarder.
    virtual void on_unforwardable(const Key& key, int64_t upstream, const std::string& why) = 0;
};

// Finds a partition's leader; nullopt when unknown right now. `source`: which cluster.
using LeaderLookup = std::function<std::optional<BrokerAddress>(
    bool source, const std::string& topic, int32_t partition)>;

class BatchForwarder {
public:
    using Key = ForwarderEvents::Key;

    BatchForwarder(ForwarderSettings settings, LeaderLookup leaders, ForwarderEvents& events);
    ~BatchForwarder();
    BatchForwarder(const BatchForwarder&) = delete;
    BatchForwarder& operator=(const BatchForwarder&) = delete;

    // Starts copying source partition `source_topic`-`partition` to `key` from `offset`.
    void add(const Key& key, const std::string& source_topic, int64_t offset);
    // Stops copying (what is in flight is forgotten; its acknowledgements are ignored).
    void remove(const Key& key);
    bool contains(const Key& key) const { return partitions_.count(key) != 0; }
    bool empty() const { return partitions_.empty(); }
    size_t size() const { return partitions_.size(); }
    // Before a release: fetches nothing more for the partition and forgets what waits to be
    // produced; what is in flight is still acknowledged.
    void stop_fetching(const Key& key);
    // Records fetched or produced and not yet acknowledged; produced only.
    int64_t records_pending(const Key& key) const;
    int64_t records_in_flight(const Key& key) const;
    // Source high watermark from the last fetch, and the next source offset to fetch.
    std::pair<int64_t, int64_t> lag_inputs(const Key& key) const;

    ForwarderFetchStats take_fetch_stats();

    // Sends what can be sent, waits up to `timeout_ms` for responses, handles them.
    void service(int timeout_ms);

private:
    struct Queued {
        std::shared_ptr<std::string> data; // the fetch response the batch is in
        std::string_view batch;
        wire::BatchHeader header;
        int64_t record_bytes; // keys + values
    };
    struct InFlight {
        int64_t upstream;
        int32_t records;
        int64_t bytes; // of the batch
        int64_t record_bytes;
        int64_t max_timestamp;
        int32_t next_sequence; // after this batch
        uint64_t request;      // the Produce request that carries it
    };
    struct Partition {
        std::string source_topic;
        int64_t fetch_offset = 0;
        uint64_t generation = 0;
        std::string source_broker; // connection keys; empty: leader unknown
        std::string target_broker;
        std::chrono::steady_clock::time_point lookup_at{};
        bool fetching = false;
        bool stopped = false; // stop_fetching()
        std::deque<Queued> queued;
        std::deque<InFlight> in_flight;
        int64_t buffered_bytes = 0; // queued
        int64_t high_watermark = -1;
        int32_t next_sequence = 0;
        std::optional<std::pair<int64_t, std::string>> handoff; // offset, reason
    };
    enum class RequestKind { fetch, produce, producer_id, api_versions };
    struct Request {
        RequestKind kind;
        std::string connection;
        std::vector<std::pair<Key, uint64_t>> partitions; // with their generation
        int16_t version = 0;
        std::chrono::steady_clock::time_point sent{};
    };

    // The connection once the broker said which versions it takes; null before (connecting
    // starts here).
    wire::BrokerConnection* connection(const std::string& key, const BrokerAddress* address);
    void on_api_versions(const std::string& connection, std::string_view body);
    // The brokers cannot take the forwarder's requests: every partition goes record by record.
    void give_up(const std::string& why);
    void locate(const Key& key, Partition& p);
    void send_fetches();
    void send_produces();
    void request_producer_id();
    void on_response(const wire::Response& response);
    void on_fetch(const Request& request, std::string_view body,
                  const std::shared_ptr<std::string>& data);
    void take_fetched(const Key& key, Partition& p, const wire::FetchPartitionResponse& fetched,
                      const std::shared_ptr<std::string>& data);
    void on_produce(const Request& request, uint64_t request_id, std::string_view body);
    void on_producer_id(std::string_view body);
    void on_connection_lost(const std::string& key, const std::string& why);
    // Forgets what is queued and in flight and fetches again from the first unacknowledged
    // batch with the same sequence numbers (so the broker drops what it already has).
    void rewind(const Key& key, Partition& p, bool relocate);
    void new_producer_id();
    void finish_handoffs();
    std::string where(const Key& key, const Partition& p, bool source) const;
    std::string cluster_of(const std::string& connection) const; // "cluster '<alias>'"

    ForwarderSettings settings_;
    LeaderLookup leaders_;
    ForwarderEvents& events_;
    std::map<Key, Partition> partitions_;
    std::map<std::pair<std::string, int32_t>, Key> by_source_;
    std::map<Key, int32_t> acked_sequence_; // next sequence per target partition, by this id
    std::map<std::string, std::unique_ptr<wire::BrokerConnection>> connections_;
    std::map<std::string, int16_t> produce_version_; // connections whose versions are known
    std::string unusable_; // why batch forwarding cannot be used with these clusters
    std::map<std::string, BrokerAddress> addresses_;
    std::map<std::string, std::chrono::steady_clock::time_point> reconnect_at_;
    std::map<std::string, int> lost_in_a_row_; // connection failures with no response between
    std::map<uint64_t, Request> requests_;
    uint64_t next_request_ = 1;
    wire::ProducerIdentity producer_{};
    bool producer_id_requested_ = false;
    std::chrono::steady_clock::time_point producer_id_retry_at_{};
    int64_t buffered_bytes_ = 0;  // fetched, waiting to be produced
    int64_t in_flight_bytes_ = 0; // produced, not yet acknowledged
    int64_t rx_bytes_ = 0;
    double fetch_latency_sum_ms_ = 0;
    double fetch_latency_max_ms_ = 0;
    int64_t fetches_ = 0;
    size_t fetch_rotation_ = 0;
    std::vector<std::pair<Key, std::pair<int64_t, std::string>>> failures_; // reported after I/O
};

} // namespace kmirror::mirror
