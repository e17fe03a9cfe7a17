#include "mirror/record_match.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace kmirror::mirror {
namespace {

// Each letter is a record (its digest); offsets count from `first_offset`.
std::vector<DigestedRecord> records(const std::string& letters, int64_t first_offset = 0) {
    std::vector<DigestedRecord> out;
    for (size_t i = 0; i < letters.size(); ++i) {
        out.push_back({first_offset + static_cast<int64_t>(i), static_cast<uint64_t>(letters[i])});
    }
    return out;
}

struct Row {
    std::string name;
    std::string source; // offsets from 100
    std::string target; // offsets from 0
    int64_t matched, missing, not_copied, duplicates, foreign;
    std::vector<OffsetRange> missing_ranges;
    int64_t first_not_copied;
    bool complete;
};

TEST(RecordMatch, EachSourceRecordIsMatchedMissingOrNotCopiedYet) {
    const std::vector<Row> rows = {
        {"identical", "abcdef", "abcdef", 6, 0, 0, 0, 0, {}, -1, true},
        {"both empty", "", "", 0, 0, 0, 0, 0, {}, -1, true},
        {"nothing copied yet", "abc", "", 0, 0, 3, 0, 0, {}, 100, false},
        {"lagging: the tail is not copied, not missing",
         "abcdef",
         "abcd",
         4,
         0,
         2,
         0,
         0,
         {},
         104,
         false},
        {"a gap in the middle", "abcdefgh", "abefgh", 6, 2, 0, 0, 0, {{102, 103}}, -1, false},
        {"the head never copied", "abcdef", "cdef", 4, 2, 0, 0, 0, {{100, 101}}, -1, false},
        {"two gaps and a lag",
         "abcdefghij",
         "acdfgh",
         6,
         2,
         2,
         0,
         0,
         {{101, 101}, {104, 104}},
         108,
         false},
        {"MM2 re-sent a run after a restart",
         "abcdefgh",
         "abcdecdefgh",
         8,
         0,
         0,
         3,
         0,
         {},
         -1,
         true},
        {"a foreign record written to the target", "abcd", "abxcd", 4, 0, 0, 0, 1, {}, -1, true},
        {"target records older than the source's log start",
         "cdef",
         "abcdef",
         4,
         0,
         0,
         0,
         2,
         {},
         -1,
         true},
        {"identical records are matched in order", "aaab", "aaab", 4, 0, 0, 0, 0, {}, -1, true},
        {"one of identical records lost: the last of them is missing",
         "aaab",
         "aab",
         3,
         1,
         0,
         0,
         0,
         {{102, 102}},
         -1,
         false},
        {"duplicate of the last record", "abc", "abcc", 3, 0, 0, 1, 0, {}, -1, true},
        {"out of order: the skipped one comes late as a duplicate",
         "abc",
         "acb",
         2,
         1,
         0,
         1,
         0,
         {{101, 101}},
         -1,
         false},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        const auto m = match_partition(records(row.source, 100), records(row.target));
        EXPECT_EQ(m.matched, row.matched);
        EXPECT_EQ(m.missing, row.missing);
        EXPECT_EQ(m.not_copied, row.not_copied);
        EXPECT_EQ(m.duplicates, row.duplicates);
        EXPECT_EQ(m.foreign, row.foreign);
        EXPECT_EQ(m.missing_ranges, row.missing_ranges);
        EXPECT_EQ(m.first_not_copied, row.first_not_copied);
        EXPECT_EQ(m.complete(), row.complete);
    }
}

TEST(RecordMatch, ReportsTheFirstFewRangesAndOffsetsOnly) {
    // Every second source record missing: 10 gaps, 5 reported; 7 foreign, 5 reported.
    const auto m = match_partition(records("aAbBcCdDeEfFgGhHiIjJk"), records("abcdefghijk1234567"));
    EXPECT_EQ(m.missing, 10);
    ASSERT_EQ(m.missing_ranges.size(), PartitionMatch::kMaxRanges);
    EXPECT_EQ(m.missing_ranges[0], (OffsetRange{1, 1}));
    EXPECT_EQ(m.missing_ranges[4], (OffsetRange{9, 9}));
    EXPECT_EQ(m.foreign, 7);
    EXPECT_EQ(m.foreign_offsets, (std::vector<int64_t>{11, 12, 13, 14, 15}));
}

} // namespace
} // namespace kmirror::mirror
