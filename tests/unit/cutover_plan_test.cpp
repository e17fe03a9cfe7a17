#include "mirror/cutover_plan.h"

#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <vector>

namespace kmirror::mirror {
namespace {

kafka::GroupDescription group_in(rd_kafka_consumer_group_state_t state, size_t members) {
    return kafka::GroupDescription{"g", state, members, ""};
}

GroupOffsetReport row(int64_t committed, Translation t, int64_t target_committed) {
    GroupOffsetReport r;
    r.group = "g";
    r.source_topic = "orders";
    r.partition = 0;
    r.source_committed = committed;
    r.target_topic = "A.orders";
    r.translation = t;
    r.target_committed = target_committed;
    return r;
}

Translation conservative(int64_t d) {
    return {TranslationKind::conservative, d, {}};
}
Translation beyond_end(int64_t upstream) {
    return {TranslationKind::beyond_end, -1, {upstream, upstream}};
}

struct Case {
    std::string name;
    std::optional<kafka::GroupDescription> source, target;
    std::vector<GroupOffsetReport> rows;
    std::vector<CutoverAction> actions;
    int64_t written; // the offset to commit for A.orders-0, -1 for none
    size_t blockers, warnings;
    std::string blocker_says; // part of the first blocker
};

TEST(CutoverPlan, ReadyOnlyWhenStoppedOnTheSourceAbsentOnTheTargetAndReplicated) {
    const auto empty = group_in(RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY, 0);
    const auto stable = group_in(RD_KAFKA_CONSUMER_GROUP_STATE_STABLE, 2);
    const std::vector<Case> cases = {
        {"exact: commit",
         empty,
         std::nullopt,
         {row(60, Translation::exact_at(57), -1)},
         {CutoverAction::write},
         57,
         0,
         0,
         ""},
        {"group unknown on the source is not running",
         std::nullopt,
         std::nullopt,
         {row(60, Translation::exact_at(57), -1)},
         {CutoverAction::write},
         57,
         0,
         0,
         ""},
        {"target behind: commit",
         empty,
         empty,
         {row(60, Translation::exact_at(57), 10)},
         {CutoverAction::write},
         57,
         0,
         0,
         ""},
        {"target at the translation",
         empty,
         empty,
         {row(60, Translation::exact_at(57), 57)},
         {CutoverAction::already_there},
         -1,
         0,
         0,
         ""},
        {"target ahead: never backwards",
         empty,
         empty,
         {row(60, Translation::exact_at(57), 70)},
         {CutoverAction::target_ahead},
         -1,
         0,
         1,
         ""},
        {"conservative: commit with a warning",
         empty,
         empty,
         {row(60, conservative(40), -1)},
         {CutoverAction::write},
         40,
         0,
         1,
         ""},
        {"consumers still on the source",
         stable,
         empty,
         {row(60, Translation::exact_at(57), -1)},
         {CutoverAction::write},
         57,
         1,
         0,
         "still has 2 consumer(s) on cluster 'A'"},
        {"consumers already on the target",
         empty,
         stable,
         {row(60, Translation::exact_at(57), -1)},
         {CutoverAction::write},
         57,
         1,
         0,
         "already has 2 consumer(s) on cluster 'B'"},
        {"not replicated yet",
         empty,
         empty,
         {row(130, beyond_end(99), -1)},
         {CutoverAction::blocked},
         -1,
         1,
         0,
         "committed offset 130 is not replicated yet"},
        {"no offset syncs",
         empty,
         empty,
         {row(5, Translation{}, -1)},
         {CutoverAction::blocked},
         -1,
         1,
         0,
         "no offset syncs"},
        {"no committed offsets", empty, empty, {}, {}, -1, 1, 0, "has no committed offsets"},
        {"a partition without a commit is left out",
         empty,
         empty,
         {row(-1, Translation{}, -1)},
         {},
         -1,
         1,
         0,
         "has no committed offsets"},
        {"rebalancing on the source counts as running",
         group_in(RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE, 1),
         empty,
         {row(60, Translation::exact_at(57), -1)},
         {CutoverAction::write},
         57,
         1,
         0,
         "still has 1 consumer(s)"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto plan = plan_cutover("g", "A", "B", c.source, c.target, c.rows);
        std::vector<CutoverAction> actions;
        for (const auto& p : plan.partitions) {
            actions.push_back(p.action);
        }
        EXPECT_EQ(actions, c.actions);
        auto it = plan.to_write.find({"A.orders", 0});
        EXPECT_EQ(it == plan.to_write.end() ? -1 : it->second.offset, c.written);
        EXPECT_EQ(plan.blockers.size(), c.blockers);
        EXPECT_EQ(plan.warnings.size(), c.warnings);
        EXPECT_EQ(plan.ready(), c.blockers == 0);
        if (!c.blocker_says.empty()) {
            ASSERT_FALSE(plan.blockers.empty());
            EXPECT_NE(plan.blockers[0].find(c.blocker_says), std::string::npos) << plan.blockers[0];
        }
    }
}

TEST(CutoverPlan, TopicsTheFlowDoesNotReplicateAreAWarningNotABlocker) {
    const auto empty = group_in(RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY, 0);
    const auto plan = plan_cutover("g", "A", "B", empty, std::nullopt,
                                   {row(60, Translation::exact_at(57), -1)}, {"audit", "logs"});
    EXPECT_TRUE(plan.ready());
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_NE(
        plan.warnings[0].find("does not replicate (audit, logs): the move leaves them behind"),
        std::string::npos)
        << plan.warnings[0];
}

} // namespace
} // namespace kmirror::mirror
