// CheckpointStore: the latest checkpoint per (group, downstream topic-partition), as MM2's
// CheckpointStore keeps it, with MM2's rules for which checkpoints to emit (spec §5.4) and which
// translated offsets to write into a target consumer group (§5.5). Pure logic, no I/O.
// Thread rules: not thread-safe; owned by the checkpoint task's thread.
#pragma once

#include "kafka/admin.h"
#include "mirror/formats.h"

#include <map>
#include <string>

namespace kmirror::mirror {

class CheckpointStore {
public:
    using PartitionCheckpoints = std::map<kafka::TopicPartitionKey, Checkpoint>;

    void put(const Checkpoint& checkpoint);
    const Checkpoint* find(const std::string& group, const std::string& topic,
                           int32_t partition) const;
    // MirrorCheckpointTask#checkpointIsMoreRecent: emit when there is no previous checkpoint for
    // the group or the partition, when the upstream group went back, or when the downstream
    // offset moves forward. Never repeat one, never move downstream backwards otherwise.
    bool should_emit(const Checkpoint& checkpoint) const;

    const std::map<std::string, PartitionCheckpoints>& groups() const { return groups_; }
    size_t size() const;

private:
    std::map<std::string, PartitionCheckpoints> groups_;
};

// MirrorCheckpointTask#syncGroupOffset for one group: the checkpointed downstream offsets to
// write, given what the group has committed on the target. A partition the target group has no
// commit for is written; one where the target is at or past the checkpoint is left alone (a
// target group never moves backwards through offset sync).
kafka::GroupOffsets offsets_to_sync(const CheckpointStore::PartitionCheckpoints& checkpoints,
                                    const kafka::GroupOffsets& target_committed);

} // namespace kmirror::mirror
