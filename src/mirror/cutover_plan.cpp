#include "mirror/cutover_plan.h"

namespace kmirror::mirror {
namespace {

bool is_running(const kafka::GroupDescription& d) {
    return d.active() || d.members > 0;
}

std::string where(const GroupOffsetReport& r) {
    return r.source_topic + "-" + std::to_string(r.partition);
}

} // namespace

const char* action_text(CutoverAction action) {
    switch (action) {
    case CutoverAction::write:
        return "commit";
    case CutoverAction::already_there:
        return "already-there";
    case CutoverAction::target_ahead:
        return "target-ahead";
    case CutoverAction::blocked:
        break;
    }
    return "BLOCKED";
}

CutoverPlan plan_cutover(const std::string& group, const std::string& source_alias,
                         const std::string& target_alias,
                         const std::optional<kafka::GroupDescription>& source_group,
                         const std::optional<kafka::GroupDescription>& target_group,
                         const std::vector<GroupOffsetReport>& rows,
                         const std::vector<std::string>& unreplicated_topics) {
    CutoverPlan plan;
    plan.group = group;
    const std::string on_source = "cluster '" + source_alias + "'";
    const std::string on_target = "cluster '" + target_alias + "'";
    if (source_group && !source_group->error.empty()) {
        plan.blockers.push_back(on_source + " cannot describe group '" + group +
                                "': " + source_group->error);
    } else if (source_group && is_running(*source_group)) {
        plan.blockers.push_back("group '" + group + "' still has " +
                                std::to_string(source_group->members) + " consumer(s) on " +
                                on_source +
                                ": stop them first, so that its committed offsets "
                                "are final");
    }
    if (target_group && !target_group->error.empty()) {
        plan.blockers.push_back(on_target + " cannot describe group '" + group +
                                "': " + target_group->error);
    } else if (target_group && is_running(*target_group)) {
        plan.blockers.push_back("group '" + group + "' already has " +
                                std::to_string(target_group->members) + " consumer(s) on " +
                                on_target +
                                ": its offsets there are theirs; stop them to cut over again");
    }
    for (const auto& r : rows) {
        if (r.source_committed < 0) {
            continue; // no commit on this partition: its consumers start by auto.offset.reset
        }
        CutoverPartition p{r, CutoverAction::blocked};
        const auto& t = r.translation;
        if (t.kind == TranslationKind::beyond_end) {
            plan.blockers.push_back(where(r) + ": committed offset " +
                                    std::to_string(r.source_committed) +
                                    " is not replicated yet (copied up to source offset " +
                                    std::to_string(t.tail.upstream) +
                                    "): wait until the flow has caught up, then run again");
        } else if (!t.ok()) {
            plan.blockers.push_back(where(r) + ": no offset syncs for committed offset " +
                                    std::to_string(r.source_committed) +
                                    " yet: is the flow copying this partition?");
        } else {
            if (!t.exact()) {
                plan.warnings.push_back(
                    where(r) + ": the translation to " + std::to_string(t.downstream) +
                    " is MM2's conservative rule, not exact: some records will be read again");
            }
            if (r.target_committed == t.downstream) {
                p.action = CutoverAction::already_there;
            } else if (r.target_committed > t.downstream) {
                p.action = CutoverAction::target_ahead;
                plan.warnings.push_back(where(r) + ": the group is already at " +
                                        std::to_string(r.target_committed) + " on " + on_target +
                                        ", past the translation " + std::to_string(t.downstream) +
                                        ": left as it is");
            } else {
                p.action = CutoverAction::write;
                plan.to_write[{r.target_topic, r.partition}] =
                    kafka::CommittedOffset{t.downstream, {}};
            }
        }
        plan.partitions.push_back(std::move(p));
    }
    if (!unreplicated_topics.empty()) {
        std::string topics;
        for (const auto& t : unreplicated_topics) {
            topics += (topics.empty() ? "" : ", ") + t;
        }
        plan.warnings.push_back("group '" + group + "' also has committed offsets on " + on_source +
                                " for topics this flow does not replicate (" + topics +
                                "): the move leaves them behind");
    }
    if (plan.partitions.empty()) {
        plan.blockers.push_back("group '" + group + "' has no committed offsets on " + on_source +
                                " for the topics this flow replicates");
    }
    return plan;
}

} // namespace kmirror::mirror
