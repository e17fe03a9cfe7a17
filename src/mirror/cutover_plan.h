// The guided cut-over of one consumer group (`kmirror cutover`): what must hold before its
// consumers may start on the target, and the target positions to commit. Pure: the inputs are
// what the clusters said (mirror/checkpoint_task.h's report, the two group descriptions).
//
// A group is ready when its consumers are stopped on the source (its committed offsets are
// final), none run in it on the target (the broker would refuse the commit, and their offsets
// are theirs), and every committed source position has a translation: exact, or MM2's
// conservative rule (re-delivers some records; a warning). A position not replicated yet, or
// without offset syncs, blocks. A target position already at or past the translation is left as
// it is: a group is never moved backwards.
// Thread rules: pure functions.
#pragma once

#include "kafka/admin.h"
#include "mirror/checkpoint_task.h"

#include <optional>
#include <string>
#include <vector>

namespace kmirror::mirror {

enum class CutoverAction {
    write,         // commit the translated offset on the target
    already_there, // the target group is at the translation
    target_ahead,  // the target group is past it: left as it is
    blocked,       // no usable translation (see the plan's blockers)
};

struct CutoverPartition {
    GroupOffsetReport report;
    CutoverAction action = CutoverAction::blocked;
};

struct CutoverPlan {
    std::string group;
    std::vector<std::string> blockers; // each says what to do
    std::vector<std::string> warnings;
    std::vector<CutoverPartition> partitions;
    kafka::GroupOffsets to_write; // target topic-partition -> offset

    bool ready() const { return blockers.empty(); }
};

// `source_group` / `target_group`: the groups' descriptions, nullopt when the cluster does not
// know the group. `rows`: the report's rows of this group. `unreplicated_topics`: source topics
// the group has committed offsets on that the flow does not replicate (a warning: the move
// leaves them behind).
CutoverPlan plan_cutover(const std::string& group, const std::string& source_alias,
                         const std::string& target_alias,
                         const std::optional<kafka::GroupDescription>& source_group,
                         const std::optional<kafka::GroupDescription>& target_group,
                         const std::vector<GroupOffsetReport>& rows,
                         const std::vector<std::string>& unreplicated_topics = {});

const char* action_text(CutoverAction action);

} // namespace kmirror::mirror
