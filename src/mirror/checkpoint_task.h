// CheckpointTask: what MM2's MirrorCheckpointConnector and its task do for one source->target
// flow (spec §1.2, §5.3-5.5), with exact translation (mirror/offset_translator.h, ADR 0004):
//   * loads the intervals persisted in `kmirror-offset-runs.<source>.internal` on the target
//     (offset_runs.h), then tails partition 0 of the offset-syncs topic from the beginning into
//     an OffsetTranslator (so exactness survives restarts and compaction of the syncs topic);
//   * while leader, after each emission writes the intervals that changed since the last one to
//     the offset runs topic (tombstones for the ones the translator forgot);
//   * every emit.checkpoints.interval.seconds, lists the source's consumer groups (GroupFilter;
//     kmirror's own groups never), fetches their committed offsets, translates them and writes
//     Checkpoint records in MM2's byte format to partition 0 of `<source>.checkpoints.internal`
//     on the target, filtered by MM2's monotonicity rule against the checkpoints loaded at start;
//   * with sync.group.offsets.enabled, every sync.group.offsets.interval.seconds, writes the
//     checkpointed offsets into target groups that have no active member, never backwards.
// Emission and offset sync only happen while `is_leader()` says so (one process per cluster);
// the offset syncs are tailed all the time so a new leader can take over at once.
//
// Threads: one thread of its own. start()/stop() from the owner's thread; stop() is idempotent
// and bounded by the admin timeout of a call in progress.
#pragma once

#include "config/checkpoint_config.h"
#include "kafka/admin.h"
#include "kafka/client.h"
#include "mirror/checkpoint_store.h"
#include "mirror/offset_runs.h"
#include "mirror/offset_translator.h"
#include "mirror/partition_reader.h"
#include "mirror/replication_policy.h"
#include "mirror/topic_filter.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace kmirror::metrics {
class CheckpointGroupMetrics;
} // namespace kmirror::metrics

namespace kmirror::mirror {

// Counters for status and metrics (MM2 has checkpoint-latency-ms; these say how exact we were).
struct CheckpointStats {
    std::atomic<uint64_t> checkpoints_emitted{0};
    std::atomic<uint64_t> translations_exact{0};
    std::atomic<uint64_t> translations_conservative{0}; // MM2's fallback rule was used
    std::atomic<uint64_t> translations_unavailable{0};  // no checkpoint possible (yet)
    std::atomic<uint64_t> group_offsets_written{0};     // partitions written into target groups
    std::atomic<uint64_t> groups_skipped_active{0};     // target group had active members
    std::atomic<uint64_t> errors{0};
};

// kmirror's own consumer groups, never checkpointed: `kmirror-*` and the `.assign` groups of
// assign-mode consumers, plus the configured progress group.
bool is_kmirror_internal_group(const std::string& group, const std::string& progress_group = {});

// One row of `kmirror offsets`: a source group's partition, both sides side by side.
struct GroupOffsetReport {
    std::string group;
    std::string source_topic;
    int32_t partition = 0;
    int64_t source_committed = -1;
    int64_t source_end = -1;
    std::string target_topic;
    Translation translation;
    int64_t target_committed = -1; // -1: no commit on the target
    int64_t target_end = -1;
};

class CheckpointTask {
public:
    static Result<std::unique_ptr<CheckpointTask>>
    create(const config::MirrorCheckpointSettings& settings, std::function<bool()> is_leader);
    ~CheckpointTask();
    CheckpointTask(const CheckpointTask&) = delete;
    CheckpointTask& operator=(const CheckpointTask&) = delete;

    // Creates the checkpoints topic (1 partition, compacted; existing topics and missing
    // permission tolerated) and starts the thread.
    Status start();
    void stop() noexcept;

    // For operator tools, instead of start(): connects, reads the offset syncs to the end and
    // reports every selected group (or only `group`) without writing anything.
    Result<std::vector<GroupOffsetReport>> report(const std::string& only_group);

    const std::string& name() const { return name_; }
    const std::vector<std::string>& notes() const { return notes_; }
    std::shared_ptr<CheckpointStats> stats() const { return stats_; }

private:
    explicit CheckpointTask(const config::MirrorCheckpointSettings& settings);
    Status open(); // admin clients, offset-syncs reader, checkpoint producer
    void run();
    bool wait_for(std::chrono::milliseconds d); // false when stopping
    void consume_syncs(std::chrono::milliseconds wait);
    bool catch_up_syncs(); // reads the offset-syncs topic to its current end
    // Reads the offset runs topic into `out`; false (logged) when it could not be read.
    bool read_runs(PersistedRuns& out);
    void load_runs();      // before the first catch_up_syncs: the translator starts from them
    Status persist_runs(); // leader only: writes what the translator proved since last time
    Status load_checkpoints();
    void publish_group_metrics(const std::map<std::string, bool>& groups);
    Status emit_checkpoints();
    Status sync_group_offsets();
    Translation translate(const std::string& topic, int32_t partition, int64_t upstream);
    bool open_tail_consumer();
    void forget_runs_below_log_start(); // every kmirror.offset.runs.prune.interval.seconds
    // True when the source partition holds no readable (committed) record in [from, to).
    bool source_gap_is_empty(const std::string& topic, int32_t partition, int64_t from, int64_t to);
    std::vector<std::string> selected_groups(const std::vector<std::string>& groups) const;

    config::MirrorCheckpointSettings settings_;
    std::string name_;
    std::function<bool()> is_leader_;
    std::unique_ptr<ReplicationPolicy> policy_;
    std::optional<TopicFilter> topic_filter_;
    std::optional<GroupFilter> group_filter_;
    std::string progress_group_;
    std::string offset_syncs_topic_;
    std::string checkpoints_topic_;
    std::string runs_topic_;
    kafka::ClientSpec offset_syncs_consumer_spec_;
    kafka::ClientSpec source_consumer_spec_;
    kafka::ClientSpec source_admin_spec_;
    kafka::ClientSpec target_admin_spec_;
    kafka::ClientSpec target_consumer_spec_;
    kafka::ClientSpec target_producer_spec_;
    std::vector<std::string> notes_;
    std::shared_ptr<CheckpointStats> stats_ = std::make_shared<CheckpointStats>();
    std::map<std::string, std::unique_ptr<metrics::CheckpointGroupMetrics>> group_metrics_;

    // Owned by the task thread.
    std::optional<kafka::Admin> source_admin_;
    std::optional<kafka::Admin> target_admin_;
    std::optional<PartitionReader> syncs_reader_;
    kafka::HandlePtr producer_;
    kafka::HandlePtr tail_consumer_; // source, read_committed, for source_gap_is_empty
    std::atomic<uint64_t> delivery_errors_{0};
    OffsetTranslator translator_;
    CheckpointStore store_;
    bool store_loaded_ = false;
    PersistedRuns persisted_runs_;     // what the offset runs topic holds (leader's view)
    bool persisted_runs_read_ = false; // re-read when this process becomes leader
    // (topic, partition, from, to) -> the gap holds no record; cleared when syncs move on.
    std::map<std::tuple<std::string, int32_t, int64_t, int64_t>, bool> gap_cache_;

    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

} // namespace kmirror::mirror
