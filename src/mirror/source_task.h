// MirrorSourceTask: copies records of the source partitions this process owns to the same
// partition of the replica topic on the target.
//
// Ownership comes from a consumer group on the target cluster subscribed to the replica
// topics (docs/adr/0003): owning target partition t-p means replicating source partition s-p.
// That group consumer never fetches; it gives membership, assignment, failure detection, and
// it stores progress: the committed offset of t-p is the next source offset of s-p.
//
// Data path, two ways (docs/adr/0007). Batches: where both clusters are reached in plaintext,
// a partition's fetched record batches are produced again as they are (batch_forwarder.h).
// Records: an assign-mode consumer on the source (no group there) → an idempotent producer on
// the target, zero-copy: the produced record points into the consumed message's buffers, and
// the consumed message is released in the delivery report. A partition the batch path cannot
// copy goes on record by record. Memory is bounded by the prefetch and the producer queue
// sizes, never by the backlog.
//
// Thread: everything runs on the thread that calls run(); set_topics() and request_stop()
// may be called from any thread.
#pragma once

#include "config/connector_config.h"
#include "kafka/client.h"
#include "kafka/handles.h"
#include "mirror/batch_forwarder.h"
#include "mirror/batch_gate.h"
#include "mirror/mm2_progress.h"
#include "mirror/progress_tracker.h"
#include "mirror/sync_acks.h"
#include "util/result.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror::mirror {

// A replica topic on the target and the source topic it copies.
struct TopicMapping {
    std::string source_topic;
    int partitions = 0; // partitions present on both sides
};
using TopicMap = std::map<std::string, TopicMapping>; // key: target topic

struct SourceTaskClients {
    kafka::ClientSpec source_consumer;
    kafka::ClientSpec target_producer;
    kafka::ClientSpec target_group; // group membership + progress, on the target
    std::optional<kafka::ClientSpec> offset_syncs_producer;
    std::string offset_syncs_topic;
};

// Connect's task status values (connector-task-metrics `status`).
enum class TaskState { unassigned, running, failed, restarting };

// Counters readable from other threads (metrics, status).
struct SourceTaskStats {
    std::atomic<uint64_t> records_copied{0};
    std::atomic<uint64_t> bytes_copied{0};
    std::atomic<uint64_t> batches_forwarded{0}; // of records_copied, batches the forwarder sent
    std::atomic<uint64_t> records_polled{0};
    std::atomic<int64_t> records_in_flight{0}; // polled, not yet acknowledged
    std::atomic<uint64_t> offset_syncs_written{0};
    std::atomic<uint64_t> records_lost_to_retention{0};
    std::atomic<uint64_t> delivery_failures{0};
    std::atomic<uint64_t> config_sync_errors{0};
    std::atomic<int> partitions_owned{0};
    std::atomic<TaskState> task_state{TaskState::unassigned};
};

class SourceFlowProbe;
class SourcePartitionProbe;

class MirrorSourceTask : private ForwarderEvents {
public:
    // `probe` (optional, must outlive the task) receives per-partition metrics and the
    // consumer's librdkafka statistics.
    static Result<std::unique_ptr<MirrorSourceTask>>
    create(const config::MirrorSourceSettings& settings, SourceTaskClients clients,
           std::shared_ptr<SourceTaskStats> stats, SourceFlowProbe* probe = nullptr);
    ~MirrorSourceTask();
    MirrorSourceTask(const MirrorSourceTask&) = delete;
    MirrorSourceTask& operator=(const MirrorSourceTask&) = delete;

    // Replaces the set of replica topics to own partitions of (thread-safe).
    void set_topics(TopicMap topics);
    void request_stop() { stop_requested_.store(true); }

    // Replicates until request_stop(); then flushes and commits progress. An error means the
    // task cannot go on (e.g. a fatal producer error); progress up to the last acknowledged
    // record is committed when possible, so a new task resumes there.
    Status run();

    // librdkafka callbacks (served from polls on this task's thread).
    void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
    void on_delivery(const rd_kafka_message_t* message);
    void on_sync_delivery(const rd_kafka_message_t* message);
    void on_consumer_stats(std::string_view json);

private:
    // ForwarderEvents (served from forwarder_->service() on this task's thread).
    void on_fetched(const Key& key, int32_t records, int64_t bytes, int64_t max_timestamp) override;
    void on_forwarded(const Key& key, const ForwardedBatch& batch) override;
    void on_failed(const Key& key, int64_t upstream, const std::string& why) override;
    void on_unforwardable(const Key& key, int64_t upstream, const std::string& why) override;

    struct Owned {
        std::string target_topic;
        std::string source_topic;
        int32_t partition = 0;
        PartitionProgress progress;
        PartitionBatch batch{}; // produced, not yet reported
        int64_t next_poll = -1; // source offset after the last record polled
        // The target topic in this partition's producer, held from the start: creating it
        // early has librdkafka look up the topic's metadata before the first record.
        kafka::TopicPtr target{};
        std::deque<kafka::MessagePtr> held{}; // polled while the partition's batch was out
        std::chrono::steady_clock::time_point retry_at{};
        std::shared_ptr<SourcePartitionProbe> probe{}; // null without a flow probe
        bool by_batches = false; // copied by forwarder_ (else by the source consumer)
    };

    MirrorSourceTask(const config::MirrorSourceSettings& settings, SourceTaskClients clients,
                     std::shared_ptr<SourceTaskStats> stats, SourceFlowProbe* probe);
    Status open();
    void open_forwarder();
    std::optional<BrokerAddress> leader_of(bool source, const std::string& topic,
                                           int32_t partition);
    void assign_record_path(Owned& owned, int64_t offset);
    void apply_topic_changes();
    void start_pending_partitions();
    const Mm2Progress& mm2_progress();
    Status pump_records();
    bool produce(rd_kafka_message_t* message);
    void hand_over(rd_kafka_message_t* message, std::chrono::steady_clock::time_point now);
    void produce_held();
    void drop_held(Owned& owned);
    void pause_intake(bool pause);
    void watch_fetcher(bool polled);
    void wake_fetcher();
    void service(int timeout_ms);
    void emit_syncs(const std::string& source_topic, int32_t partition,
                    const std::vector<SyncPoint>& syncs);
    using CommitOffsets = std::vector<std::pair<Key, int64_t>>;
    CommitOffsets emit_progress_syncs(const std::vector<Key>& keys);
    void commit_progress(const CommitOffsets& offsets, bool sync);
    void flush_and_commit(const std::vector<Key>& keys);
    void start_commit();
    void finish_commit();
    void retry_failed_partitions();
    void release(const std::vector<Key>& keys, bool commit);
    rd_kafka_t* producer_for(int32_t partition) const {
        return producers_[static_cast<size_t>(partition) % producers_.size()].get();
    }
    Owned* find_owned(const std::string& source_topic, int32_t partition);
    Owned* find_owned(rd_kafka_topic_t* rkt, int32_t partition);
    Status check_fatal();
    void refresh_lag();

    config::MirrorSourceSettings settings_;
    SourceTaskClients clients_;
    std::shared_ptr<SourceTaskStats> stats_;
    SourceFlowProbe* probe_ = nullptr;

    kafka::HandlePtr source_;
    // Data producers: a partition always goes to producers_[partition % size] (its order and
    // idempotence stay within one producer); more connections carry more requests at a time.
    std::vector<kafka::HandlePtr> producers_;
    kafka::HandlePtr group_;
    kafka::HandlePtr sync_producer_;
    kafka::QueuePtr source_queue_;
    std::unique_ptr<BatchForwarder> forwarder_; // null: every partition goes record by record

    std::map<Key, Owned> owned_;
    std::map<std::pair<std::string, int32_t>, Key> by_source_;          // source tp -> owned key
    std::map<std::pair<const void*, int32_t>, Owned*> owned_by_handle_; // cache of find_owned
    std::vector<Key> pending_start_;
    std::optional<Mm2Progress> mm2_progress_; // MM2's progress, read once at the first need
    TopicMap topics_;
    std::set<std::string> subscribed_;

    std::mutex topics_mutex_;
    std::optional<TopicMap> new_topics_;
    std::atomic<bool> stop_requested_{false};
    std::chrono::steady_clock::time_point next_commit_{};
    // The periodic commit's snapshot, committed once the offset syncs before it are written.
    struct PendingCommit {
        CommitOffsets offsets;
        SyncAcks::Mark mark;
        std::chrono::steady_clock::time_point since;
        bool warned = false;
    };
    std::optional<PendingCommit> pending_commit_;
    SyncAcks sync_acks_;
    std::chrono::steady_clock::time_point start_retry_at_{};
    std::chrono::steady_clock::time_point next_lag_refresh_{};
    std::chrono::steady_clock::time_point next_client_service_{}; // with the forwarder alone
    std::vector<SyncPoint> sync_scratch_;
    BatchGate batch_gate_{};           // per-partition bound of what the producer holds
    int64_t held_bytes_ = 0;           // bytes of all held records
    int64_t held_bytes_max_ = 0;       // the source is paused while held_bytes_ exceeds this
    int partitions_holding_ = 0;       // partitions with held records
    bool intake_paused_ = false;       // the source partitions are paused: held_bytes_max_ reached
    int64_t queue_bytes_max_ = 0;      // the source consumer's queued.max.messages.kbytes
    int64_t mean_record_bytes_ = 1024; // of polled records (moving average)
    bool fetch_may_have_stopped_ = false; // the consumer's queue came near queue_bytes_max_
    std::string last_error_;
};

} // namespace kmirror::mirror
