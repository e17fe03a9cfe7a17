#include "mirror/offset_translator.h"

#include <algorithm>
#include <iterator>

namespace kmirror::mirror {

void OffsetTranslator::mark_read_to_end() {
    read_to_end_ = true;
}

void OffsetTranslator::start(PartitionState& st, const SyncPoint& s) {
    st.intervals.clear();
    st.last = s;
    if (s.downstream == 0) {
        // The first record ever written to the target partition: nothing below s.upstream was
        // replicated there, so every U <= s.upstream first meets this record.
        add(st, Interval{0, s.upstream, 0, false});
    } else {
        add(st, Interval{s.upstream, s.upstream, s.downstream, false});
    }
}

void OffsetTranslator::add(PartitionState& st, Interval iv) {
    if (iv.lo > iv.hi) {
        return;
    }
    if (iv.dense && !st.intervals.empty()) {
        auto& prev = st.intervals.rbegin()->second;
        const int64_t prev_end_d = prev.dense ? prev.d_lo + (prev.hi - prev.lo) : prev.d_lo;
        if (prev.hi + 1 == iv.lo && prev_end_d + 1 == iv.d_lo &&
            (prev.dense || prev.lo == prev.hi)) {
            prev.dense = true;
            prev.hi = iv.hi;
            return;
        }
    }
    st.intervals[iv.lo] = iv;
}

void OffsetTranslator::truncate_from(PartitionState& st, int64_t upstream) {
    auto it = st.intervals.lower_bound(upstream);
    st.intervals.erase(it, st.intervals.end());
    if (!st.intervals.empty()) {
        auto& prev = st.intervals.rbegin()->second;
        if (prev.hi >= upstream) {
            prev.hi = upstream - 1;
        }
    }
}

void OffsetTranslator::handle(const OffsetSync& sync, int64_t log_offset) {
    const SyncPoint s{sync.upstream_offset, sync.downstream_offset};
    if (s.upstream < 0 || s.downstream < 0) {
        return; // never written by a replicating task; nothing exact to learn
    }
    auto [it, inserted] = partitions_.try_emplace(Key{sync.topic, sync.partition});
    auto& st = it->second;
    if (inserted) {
        start(st, s);
        st.through = log_offset;
        return;
    }
    if (log_offset >= 0 && log_offset <= st.loaded_through) {
        return; // already part of the runs loaded for this partition
    }
    st.through = std::max(st.through, log_offset);
    const SyncPoint t = st.last;
    if (s == t) {
        return; // the same record synced again (e.g. at a flush)
    }
    if (s.downstream < t.downstream) {
        start(st, s); // the target partition went back: it was recreated or truncated
        return;
    }
    if (s.upstream > t.upstream) {
        if (s.upstream - t.upstream == s.downstream - t.downstream) {
            add(st, Interval{t.upstream + 1, s.upstream, t.downstream + 1, true});
        } else if (s.downstream == t.downstream + 1) {
            add(st, Interval{t.upstream + 1, s.upstream, s.downstream, false});
        } else {
            add(st, Interval{s.upstream, s.upstream, s.downstream, false});
        }
    } else {
        // Back upstream while forward downstream: a later run re-copies from s.upstream (after
        // a failover, or the source topic was recreated). It wins from s.upstream on.
        truncate_from(st, s.upstream);
        add(st, Interval{s.upstream, s.upstream, s.downstream, false});
    }
    st.last = s;
}

void OffsetTranslator::load_runs(const std::vector<OffsetRun>& runs) {
    std::map<Key, std::vector<OffsetRun>> by_partition;
    for (const auto& r : runs) {
        by_partition[Key{r.topic, r.partition}].push_back(r);
    }
    for (auto& [key, list] : by_partition) {
        auto kept = consistent_runs(std::move(list));
        if (kept.empty()) {
            continue;
        }
        PartitionState st;
        for (const auto& r : kept) {
            st.intervals[r.upstream_lo] =
                Interval{r.upstream_lo, r.upstream_hi, r.downstream_lo, r.kind == RunKind::dense};
            st.through = std::max(st.through, r.through);
        }
        st.last = SyncPoint{kept.back().upstream_hi, kept.back().downstream_hi()};
        st.loaded_through = st.through;
        partitions_[key] = std::move(st);
    }
}

std::vector<OffsetRun> OffsetTranslator::runs() const {
    std::vector<OffsetRun> out;
    for (const auto& [key, st] : partitions_) {
        for (const auto& [lo, iv] : st.intervals) {
            out.push_back(OffsetRun{key.first, key.second, iv.lo, iv.hi, iv.d_lo,
                                    iv.dense ? RunKind::dense : RunKind::constant, st.through});
        }
    }
    return out;
}

Translation OffsetTranslator::translate(const std::string& topic, int32_t partition,
                                        int64_t upstream) const {
    if (!read_to_end_) {
        return {};
    }
    auto pit = partitions_.find(Key{topic, partition});
    if (pit == partitions_.end()) {
        if (upstream == 0) {
            // Nothing replicated from this partition yet: the first record that will be lands
            // at the start of the (empty) replica partition.
            return Translation::exact_at(0);
        }
        return {};
    }
    const auto& st = pit->second;
    if (upstream > st.last.upstream) {
        if (upstream == st.last.upstream + 1) {
            return Translation::exact_at(st.last.downstream + 1);
        }
        return {TranslationKind::beyond_end, -1, st.last};
    }
    auto it = st.intervals.upper_bound(upstream);
    if (it == st.intervals.begin()) {
        return {}; // older than every sync kept (MM2: "too far in the past")
    }
    const auto& iv = std::prev(it)->second;
    const auto at = [&iv](int64_t u) { return iv.dense ? iv.d_lo + (u - iv.lo) : iv.d_lo; };
    if (upstream <= iv.hi) {
        return Translation::exact_at(at(upstream));
    }
    // MM2's rule (spec §5.3) from the latest sync below U, one past it: never skips a record.
    // Every sync is kept here, so it is never further back than MM2's answer.
    return {TranslationKind::conservative, std::min(at(iv.hi) + 1, st.last.downstream + 1), {}};
}

Translation OffsetTranslator::after_empty_tail(const Translation& beyond_end) {
    if (beyond_end.kind != TranslationKind::beyond_end) {
        return beyond_end;
    }
    return Translation::exact_at(beyond_end.tail.downstream + 1);
}

size_t OffsetTranslator::forget_below(const std::string& topic, int32_t partition, int64_t floor) {
    auto pit = partitions_.find(Key{topic, partition});
    if (pit == partitions_.end()) {
        return 0;
    }
    auto& intervals = pit->second.intervals;
    // translate(U) reads the interval with the greatest lo <= U; for every U >= floor that is
    // this one or a later one.
    auto first_kept = intervals.upper_bound(floor);
    if (first_kept == intervals.begin()) {
        return 0;
    }
    --first_kept;
    const auto dropped = static_cast<size_t>(std::distance(intervals.begin(), first_kept));
    intervals.erase(intervals.begin(), first_kept);
    return dropped;
}

std::vector<std::pair<std::string, int32_t>> OffsetTranslator::partitions_with_history() const {
    std::vector<std::pair<std::string, int32_t>> out;
    for (const auto& [key, st] : partitions_) {
        if (st.intervals.size() > 1) {
            out.push_back(key);
        }
    }
    return out;
}

size_t OffsetTranslator::interval_count(const std::string& topic, int32_t partition) const {
    auto it = partitions_.find(Key{topic, partition});
    return it == partitions_.end() ? 0 : it->second.intervals.size();
}

} // namespace kmirror::mirror
