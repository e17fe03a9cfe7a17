// OffsetTranslator: exact translation from dense offset syncs, MM2's rule as the fallback.
#include "mirror/offset_sync_store.h"
#include "mirror/offset_translator.h"

#include <algorithm>
#include <cctype>
#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::mirror {
namespace {

using Kind = TranslationKind;
using Syncs = std::vector<std::pair<int64_t, int64_t>>; // (upstream, downstream)

OffsetTranslator load(const Syncs& syncs, const std::string& topic = "t", int32_t partition = 0) {
    OffsetTranslator tr;
    for (const auto& [u, d] : syncs) {
        tr.handle(OffsetSync{topic, partition, u, d});
    }
    tr.mark_read_to_end();
    return tr;
}

struct Case {
    const char* name;
    Syncs syncs;
    int64_t upstream;
    Kind kind;
    int64_t downstream; // -1 when there is no translation
};

class TranslatorTable : public ::testing::TestWithParam<Case> {};

TEST_P(TranslatorTable, Translates) {
    const auto& c = GetParam();
    auto tr = load(c.syncs);
    auto got = tr.translate("t", 0, c.upstream);
    if (got.kind == Kind::beyond_end) {
        got.tail = {}; // checked separately
    }
    EXPECT_EQ(got.kind, c.kind) << c.name;
    EXPECT_EQ(got.downstream, c.downstream) << c.name;
}

// The source task writes a sync at the first and last record of every run, every
// offset.lag.max records and at every flush (progress_tracker.h).
const Case kCases[] = {
    // A plain topic: one run 0..299 at 0..299, syncs every 101 and at the flush.
    {"plain start", {{0, 0}, {101, 101}, {202, 202}, {299, 299}}, 0, Kind::exact, 0},
    {"plain inside run", {{0, 0}, {101, 101}, {202, 202}, {299, 299}}, 150, Kind::exact, 150},
    {"plain at sync", {{0, 0}, {101, 101}, {202, 202}, {299, 299}}, 202, Kind::exact, 202},
    {"plain last record", {{0, 0}, {101, 101}, {202, 202}, {299, 299}}, 299, Kind::exact, 299},
    {"plain caught up", {{0, 0}, {101, 101}, {202, 202}, {299, 299}}, 300, Kind::exact, 300},
    {"plain beyond end", {{0, 0}, {101, 101}, {202, 202}, {299, 299}}, 301, Kind::beyond_end, -1},
    // Replication that started later on the source (retention, or auto.offset.reset=latest):
    // the first record landed at target offset 0, so anything below maps there.
    {"below first record", {{500, 0}, {600, 100}}, 10, Kind::exact, 0},
    {"first record", {{500, 0}, {600, 100}}, 500, Kind::exact, 0},
    {"after first record", {{500, 0}, {600, 100}}, 550, Kind::exact, 50},
    // Compacted topic: source 0..9, hole 10..19, 20..29 (target 0..9, 10..19).
    {"before hole", {{0, 0}, {9, 9}, {20, 10}, {29, 19}}, 9, Kind::exact, 9},
    {"hole start", {{0, 0}, {9, 9}, {20, 10}, {29, 19}}, 10, Kind::exact, 10},
    {"inside hole", {{0, 0}, {9, 9}, {20, 10}, {29, 19}}, 15, Kind::exact, 10},
    {"hole end", {{0, 0}, {9, 9}, {20, 10}, {29, 19}}, 19, Kind::exact, 10},
    {"after hole", {{0, 0}, {9, 9}, {20, 10}, {29, 19}}, 20, Kind::exact, 10},
    {"in second run", {{0, 0}, {9, 9}, {20, 10}, {29, 19}}, 25, Kind::exact, 15},
    // One-record runs (heavily compacted): 0, 5, 7, 8, 20 at 0..4.
    {"sparse records a", {{0, 0}, {5, 1}, {7, 2}, {8, 3}, {20, 4}}, 1, Kind::exact, 1},
    {"sparse records b", {{0, 0}, {5, 1}, {7, 2}, {8, 3}, {20, 4}}, 6, Kind::exact, 2},
    {"sparse records c", {{0, 0}, {5, 1}, {7, 2}, {8, 3}, {20, 4}}, 8, Kind::exact, 3},
    {"sparse records d", {{0, 0}, {5, 1}, {7, 2}, {8, 3}, {20, 4}}, 9, Kind::exact, 4},
    // Transactions: committed 0..4 + marker 5, aborted 6..10 + marker 11, committed 12..16 +
    // marker 17 -> target 0..4, 5..9.
    {"txn at marker", {{0, 0}, {4, 4}, {12, 5}, {16, 9}}, 5, Kind::exact, 5},
    {"txn in aborted", {{0, 0}, {4, 4}, {12, 5}, {16, 9}}, 8, Kind::exact, 5},
    {"txn second", {{0, 0}, {4, 4}, {12, 5}, {16, 9}}, 13, Kind::exact, 6},
    {"txn after last record", {{0, 0}, {4, 4}, {12, 5}, {16, 9}}, 17, Kind::exact, 10},
    {"txn after last marker", {{0, 0}, {4, 4}, {12, 5}, {16, 9}}, 18, Kind::beyond_end, -1},
    // A failover: the first lifetime replicated 0..150 (synced at 0, 101 and its last flush,
    // 150), the next one restarted from the committed progress 121 and re-copied 121.. at 151..:
    // the latest run wins from 121 on.
    {"failover old range",
     {{0, 0}, {101, 101}, {150, 150}, {121, 151}, {200, 230}},
     110,
     Kind::exact,
     110},
    {"failover before rewind",
     {{0, 0}, {101, 101}, {150, 150}, {121, 151}, {200, 230}},
     120,
     Kind::exact,
     120},
    {"failover rewind point",
     {{0, 0}, {101, 101}, {150, 150}, {121, 151}, {200, 230}},
     121,
     Kind::exact,
     151},
    {"failover recopied",
     {{0, 0}, {101, 101}, {150, 150}, {121, 151}, {200, 230}},
     130,
     Kind::exact,
     160},
    {"failover past old end",
     {{0, 0}, {101, 101}, {150, 150}, {121, 151}, {200, 230}},
     160,
     Kind::exact,
     190},
    // A lifetime that ended without syncing its last records: only what was synced is known.
    {"unsynced end", {{0, 0}, {101, 101}, {121, 151}, {200, 230}}, 110, Kind::conservative, 102},
    {"unsynced end before rewind",
     {{0, 0}, {101, 101}, {121, 151}, {200, 230}},
     121,
     Kind::exact,
     151},
    // A restart with a target gap nobody synced: only the sync points are exact; between them
    // MM2's rule answers (one past the latest sync below).
    {"unknown stretch", {{0, 0}, {100, 100}, {150, 160}}, 120, Kind::conservative, 101},
    {"unknown stretch end", {{0, 0}, {100, 100}, {150, 160}}, 150, Kind::exact, 160},
    // The target partition was recreated (downstream went back): the old syncs are void.
    {"target recreated", {{0, 0}, {100, 100}, {200, 0}, {210, 10}}, 205, Kind::exact, 5},
    {"target recreated below", {{0, 0}, {100, 100}, {200, 0}, {210, 10}}, 50, Kind::exact, 0},
    // Nothing known.
    {"no syncs", {}, 5, Kind::none, -1},
    {"no syncs empty partition", {}, 0, Kind::exact, 0},
};

std::string case_name(const ::testing::TestParamInfo<Case>& param_info) {
    std::string n = param_info.param.name;
    for (auto& ch : n) {
        if (std::isalnum(static_cast<unsigned char>(ch)) == 0) {
            ch = '_';
        }
    }
    return n;
}

INSTANTIATE_TEST_SUITE_P(Cases, TranslatorTable, ::testing::ValuesIn(kCases), case_name);

TEST(OffsetTranslator, NothingBeforeTheInitialReadToEnd) {
    OffsetTranslator tr;
    tr.handle(OffsetSync{"t", 0, 0, 0});
    EXPECT_EQ(tr.translate("t", 0, 0).kind, Kind::none);
    tr.mark_read_to_end();
    EXPECT_EQ(tr.translate("t", 0, 0), Translation::exact_at(0));
}

TEST(OffsetTranslator, BeyondEndCarriesTheTailAndBecomesExactWhenTheGapIsEmpty) {
    auto tr = load({{0, 0}, {4, 4}, {12, 5}, {16, 9}});
    auto t = tr.translate("t", 0, 18);
    ASSERT_EQ(t.kind, Kind::beyond_end);
    EXPECT_EQ(t.tail, (SyncPoint{16, 9}));
    EXPECT_EQ(OffsetTranslator::after_empty_tail(t), Translation::exact_at(10));
}

TEST(OffsetTranslator, PartitionsAreIndependent) {
    OffsetTranslator tr;
    tr.handle(OffsetSync{"t", 0, 0, 0});
    tr.handle(OffsetSync{"t", 1, 50, 0});
    tr.handle(OffsetSync{"t", 0, 100, 100});
    tr.handle(OffsetSync{"u", 0, 7, 3});
    tr.mark_read_to_end();
    EXPECT_EQ(tr.translate("t", 0, 60), Translation::exact_at(60));
    EXPECT_EQ(tr.translate("t", 1, 60).kind, Kind::beyond_end);
    EXPECT_EQ(tr.translate("t", 1, 51), Translation::exact_at(1));
    EXPECT_EQ(tr.translate("u", 0, 7), Translation::exact_at(3));
    EXPECT_EQ(tr.translate("u", 0, 5).kind, Kind::none); // before the only sync, not at 0
}

TEST(OffsetTranslator, RepeatedSyncsAndLongRunsStayOneInterval) {
    OffsetTranslator tr;
    for (int64_t u = 0; u <= 100000; u += 101) {
        tr.handle(OffsetSync{"t", 0, u, u});
        tr.handle(OffsetSync{"t", 0, u, u}); // flush re-sync of the same record
    }
    tr.mark_read_to_end();
    EXPECT_EQ(tr.interval_count("t", 0), 1U);
    EXPECT_EQ(tr.translate("t", 0, 77777), Translation::exact_at(77777));
}

TEST(OffsetTranslator, NeverTranslatesPastTheNextRecordToBeReplicated) {
    // Whatever the syncs, a translation is at most last.downstream + 1 (no negative lag).
    const Syncs syncs = {{0, 0}, {10, 20}, {30, 25}, {31, 26}, {40, 100}, {41, 101}};
    auto tr = load(syncs);
    for (int64_t u = 0; u <= 45; ++u) {
        auto t = tr.translate("t", 0, u);
        if (t.ok()) {
            EXPECT_LE(t.downstream, 102) << u;
            EXPECT_GE(t.downstream, 0) << u;
        }
    }
}

// Where no two syncs prove anything (MM2-written syncs: a new sync only at a gap or every
// offset.lag.max, never at the end of a run, and downstream steps that are not adjacent), the
// answer is MM2's rule over every sync: one past the latest sync below U, flagged as
// conservative -- never further back than OffsetSyncStore (which forgets syncs), never skipping.
TEST(OffsetTranslator, FallsBackToMm2RuleWhereExactnessIsNotProvable) {
    OffsetSyncStore store(false);
    OffsetTranslator tr;
    Syncs syncs;
    for (int64_t i = 1; i <= 200; ++i) {
        syncs.push_back({i * 10, i * 20}); // every pair: neither a run nor adjacent
    }
    for (const auto& [u, d] : syncs) {
        store.handle(OffsetSync{"t", 0, u, d});
        tr.handle(OffsetSync{"t", 0, u, d});
    }
    store.mark_read_to_end();
    tr.mark_read_to_end();
    for (int64_t u = 0; u <= 2000; ++u) {
        auto mm2 = store.translate_downstream("t", 0, u);
        auto ours = tr.translate("t", 0, u);
        ASSERT_TRUE(mm2.has_value());
        if (u % 10 == 0 && u >= 10) {
            // At a sync: exact, even where MM2 already forgot that sync.
            EXPECT_EQ(ours, Translation::exact_at(u * 2)) << u;
        } else if (u < 10) {
            EXPECT_EQ(ours.kind, Kind::none) << u; // before the first sync, as MM2
            EXPECT_EQ(*mm2, -1) << u;
        } else {
            EXPECT_EQ(ours.kind, Kind::conservative) << u;
            EXPECT_EQ(ours.downstream, (u / 10) * 20 + 1) << u; // latest sync below, plus one
            EXPECT_GE(ours.downstream, *mm2) << u;              // MM2 forgot some syncs
        }
    }
}

// MM2's published OffsetSyncStore vectors (spec §5.2), where our semantics coincide: a group
// exactly at a sync translates to that sync's downstream offset, and an upstream rewind wins.
TEST(OffsetTranslator, Mm2VectorsWhereSemanticsCoincide) {
    OffsetTranslator tr;
    for (int64_t u = 0; u <= 1000; u += 10) {
        tr.handle(OffsetSync{"t", 0, u, u});
    }
    tr.mark_read_to_end();
    for (int64_t u = 1010; u <= 10000; u += 10) {
        tr.handle(OffsetSync{"t", 0, u, u});
    }
    EXPECT_EQ(tr.translate("t", 0, 1000), Translation::exact_at(1000)); // MM2: 1000
    // MM2 forgot the syncs around 999, 4839 and 9999 and answers -1, 1001, 9991; every sync of
    // this vector is still known here, so the answers are exact.
    EXPECT_EQ(tr.translate("t", 0, 999), Translation::exact_at(999));
    EXPECT_EQ(tr.translate("t", 0, 4839), Translation::exact_at(4839));
    EXPECT_EQ(tr.translate("t", 0, 9999), Translation::exact_at(9999));
    EXPECT_EQ(tr.translate("t", 0, 10001), Translation::exact_at(10001));
    // MM2 answers 10001 for 10002: a guess forward of what has been replicated. Not here.
    EXPECT_EQ(tr.translate("t", 0, 10002).kind, Kind::beyond_end);
    // Vector 2: the rewind (1500, 11000).
    tr.handle(OffsetSync{"t", 0, 1500, 11000});
    EXPECT_EQ(tr.translate("t", 0, 1500), Translation::exact_at(11000)); // MM2: 11000
    EXPECT_EQ(tr.translate("t", 0, 1501), Translation::exact_at(11001)); // MM2 (2000): 11001
    EXPECT_EQ(tr.translate("t", 0, 2000).kind, Kind::beyond_end);
    // Below the rewind, the older run still tells where those records are (MM2: -1).
    EXPECT_EQ(tr.translate("t", 0, 1499), Translation::exact_at(1499));
}

// forget_below: intervals below the source log start go, translations at or above it stay.
// The syncs below leave a hole after every second record (transaction markers): intervals
// [0,1] [2,3] [4,4] [5,6] [7,7] [8,9].
struct ForgetCase {
    const char* name;
    int64_t floor;
    size_t dropped;
    int64_t first_kept_lo;
};

std::string forget_case_name(const ::testing::TestParamInfo<ForgetCase>& param_info) {
    return param_info.param.name;
}

class ForgetBelowTable : public ::testing::TestWithParam<ForgetCase> {};

TEST_P(ForgetBelowTable, DropsOnlyWhatNoOffsetAtOrAboveTheFloorUses) {
    const auto& c = GetParam();
    const Syncs syncs = {{0, 0}, {1, 1}, {3, 2}, {4, 3}, {6, 4}, {7, 5}, {9, 6}};
    const auto before = load(syncs);
    auto after = load(syncs);
    ASSERT_EQ(after.interval_count("t", 0), 6u);
    EXPECT_EQ(after.forget_below("t", 0, c.floor), c.dropped);
    EXPECT_EQ(after.interval_count("t", 0), 6u - c.dropped);
    EXPECT_EQ(after.runs().front().upstream_lo, c.first_kept_lo);
    for (int64_t u = std::max<int64_t>(c.floor, 0); u <= 11; ++u) {
        EXPECT_EQ(after.translate("t", 0, u), before.translate("t", 0, u)) << "U=" << u;
    }
    if (c.first_kept_lo > 0) {
        EXPECT_EQ(after.translate("t", 0, c.first_kept_lo - 1).kind, Kind::none);
    }
    EXPECT_EQ(after.forget_below("t", 0, c.floor), 0u) << "a second pass finds nothing";
}

INSTANTIATE_TEST_SUITE_P(Floors, ForgetBelowTable,
                         ::testing::Values(ForgetCase{"below_everything", -1, 0, 0},
                                           ForgetCase{"inside_the_first_interval", 1, 0, 0},
                                           ForgetCase{"at_the_start_of_the_second", 2, 1, 2},
                                           ForgetCase{"inside_a_later_interval", 6, 3, 5},
                                           ForgetCase{"at_the_latest_sync", 9, 5, 8},
                                           ForgetCase{"past_everything_keeps_the_latest", 100, 5,
                                                      8}),
                         forget_case_name);

TEST(OffsetTranslator, ForgetBelowLeavesOtherPartitionsAndUnknownOnesAlone) {
    auto tr = load({{0, 0}, {2, 1}, {4, 2}});
    tr.handle(OffsetSync{"t", 1, 0, 0});
    tr.handle(OffsetSync{"t", 1, 2, 1});
    EXPECT_EQ(tr.forget_below("t", 9, 100), 0u);
    EXPECT_EQ(tr.forget_below("u", 0, 100), 0u);
    const auto history = tr.partitions_with_history();
    ASSERT_EQ(history.size(), 2u);
    EXPECT_GT(tr.forget_below("t", 0, 100), 0u);
    EXPECT_EQ(tr.interval_count("t", 0), 1u);
    EXPECT_EQ(tr.interval_count("t", 1), 2u);
    EXPECT_EQ(tr.partitions_with_history(),
              (std::vector<std::pair<std::string, int32_t>>{{"t", 1}}));
}

} // namespace
} // namespace kmirror::mirror
