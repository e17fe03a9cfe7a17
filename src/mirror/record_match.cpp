#include "mirror/record_match.h"

#include <algorithm>
#include <utility>

namespace kmirror::mirror {
namespace {

void note_missing(PartitionMatch& m, const std::vector<DigestedRecord>& source, size_t from,
                  size_t to) {
    if (from >= to) {
        return;
    }
    m.missing += static_cast<int64_t>(to - from);
    if (m.missing_ranges.size() < PartitionMatch::kMaxRanges) {
        m.missing_ranges.push_back({source[from].offset, source[to - 1].offset});
    }
}

void note_offset(std::vector<int64_t>& offsets, int64_t offset) {
    if (offsets.size() < PartitionMatch::kMaxRanges) {
        offsets.push_back(offset);
    }
}

} // namespace

PartitionMatch match_partition(const std::vector<DigestedRecord>& source,
                               const std::vector<DigestedRecord>& target) {
    // (digest, position in `source`), sorted: the positions of one digest are ascending.
    std::vector<std::pair<uint64_t, size_t>> index;
    index.reserve(source.size());
    for (size_t i = 0; i < source.size(); ++i) {
        index.emplace_back(source[i].digest, i);
    }
    std::sort(index.begin(), index.end());

    PartitionMatch m;
    size_t next = 0; // the source position the next target record should be
    for (const auto& record : target) {
        auto same =
            std::equal_range(index.begin(), index.end(), std::make_pair(record.digest, size_t{0}),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
        if (same.first == same.second) {
            ++m.foreign;
            note_offset(m.foreign_offsets, record.offset);
            continue;
        }
        auto at = std::lower_bound(same.first, same.second, std::make_pair(record.digest, next));
        if (at == same.second) {
            ++m.duplicates;
            note_offset(m.duplicate_offsets, record.offset);
            continue;
        }
        note_missing(m, source, next, at->second);
        ++m.matched;
        next = at->second + 1;
    }
    m.not_copied = static_cast<int64_t>(source.size() - next);
    if (next < source.size()) {
        m.first_not_copied = source[next].offset;
    }
    return m;
}

} // namespace kmirror::mirror
