// `kmirror verify`: reads each replicated source partition and its target partition to their
// ends and matches their records (mirror/record_match.h), so that a migration can prove every
// record arrived before the producers move. Reads with assign-mode consumers that join no group
// and commit nothing; read_committed, as the replication reads.
//
// Memory: 16 bytes per source record and 16 per target record of the partition being checked,
// plus 16 per source record for the digest index (about 100 MB for 2 million records); one
// partition at a time.
// Thread rules: one thread.
#pragma once

#include "config/connector_config.h"
#include "kafka/client.h"
#include "mirror/java_regex.h"
#include "mirror/partition_reader.h"
#include "mirror/record_match.h"
#include "mirror/replication_policy.h"
#include "mirror/topic_filter.h"
#include "util/result.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::mirror {

// What a replicator must preserve of a record: key and value (null distinct from empty),
// headers in order, timestamp and its type.
uint64_t record_digest(const rd_kafka_message_t& message);

struct PartitionCheck {
    std::string source_topic;
    std::string target_topic;
    int32_t partition = 0;
    int64_t source_records = 0; // read, up to the end taken after the target's
    int64_t target_records = 0;
    PartitionMatch match;
};

class FlowVerifier {
public:
    static Result<FlowVerifier> create(const config::MirrorSourceSettings& settings);

    const std::string& name() const { return name_; } // "A->B"
    // The source topics the flow replicates with their partition counts, sorted by name: those
    // `only` matches when given, else all but the heartbeats topics.
    Result<std::vector<std::pair<std::string, int>>> topics(const JavaRegex* only) const;
    // Reads the target partition to its end, then the source partition to its end (so every
    // record the target holds has had the chance to be copied), and matches them. With
    // `since_ms` >= 0, each side from its first record with a timestamp at or after it (the
    // copy keeps timestamps, so both sides start at the same record).
    Result<PartitionCheck> check(const std::string& source_topic, int32_t partition,
                                 std::chrono::milliseconds timeout, int64_t since_ms = -1);

private:
    FlowVerifier() = default;

    std::string name_;
    std::string source_alias_;
    std::string target_alias_;
    bool heartbeats_replication_enabled_ = true;
    std::chrono::milliseconds admin_timeout_{60000};
    std::shared_ptr<const ReplicationPolicy> policy_;
    std::shared_ptr<const TopicFilter> filter_;
    kafka::ClientSpec source_admin_;
    kafka::ClientSpec source_consumer_;
    kafka::ClientSpec target_consumer_;
    // One consumer per cluster for all partitions, created at the first check.
    std::optional<PartitionReader> source_reader_;
    std::optional<PartitionReader> target_reader_;
};

} // namespace kmirror::mirror
