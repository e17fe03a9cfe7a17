#include "mirror/checkpoint_store.h"

namespace kmirror::mirror {

void CheckpointStore::put(const Checkpoint& checkpoint) {
    groups_[checkpoint.group][{checkpoint.topic, checkpoint.partition}] = checkpoint;
}

const Checkpoint* CheckpointStore::find(const std::string& group, const std::string& topic,
                                        int32_t partition) const {
    auto g = groups_.find(group);
    if (g == groups_.end()) {
        return nullptr;
    }
    auto p = g->second.find({topic, partition});
    return p == g->second.end() ? nullptr : &p->second;
}

bool CheckpointStore::should_emit(const Checkpoint& checkpoint) const {
    const auto* previous = find(checkpoint.group, checkpoint.topic, checkpoint.partition);
    if (previous == nullptr) {
        return true;
    }
    return checkpoint.upstream_offset < previous->upstream_offset ||
           checkpoint.downstream_offset > previous->downstream_offset;
}

size_t CheckpointStore::size() const {
    size_t n = 0;
    for (const auto& [group, partitions] : groups_) {
        n += partitions.size();
    }
    return n;
}

kafka::GroupOffsets offsets_to_sync(const CheckpointStore::PartitionCheckpoints& checkpoints,
                                    const kafka::GroupOffsets& target_committed) {
    kafka::GroupOffsets out;
    for (const auto& [tp, checkpoint] : checkpoints) {
        if (checkpoint.downstream_offset < 0) {
            continue;
        }
        auto it = target_committed.find(tp);
        if (it != target_committed.end() && it->second.offset >= checkpoint.downstream_offset) {
            continue;
        }
        out[tp] = kafka::CommittedOffset{checkpoint.downstream_offset, checkpoint.metadata};
    }
    return out;
}

} // namespace kmirror::mirror
