#include "mirror/offset_runs.h"

#include "mirror/formats.h"

#include <algorithm>
#include <set>
#include <utility>

namespace kmirror::mirror {
namespace {

constexpr int16_t kVersion = 0;

void put(std::string& out, uint64_t v, int bytes) {
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
        out += static_cast<char>((v >> shift) & 0xFF);
    }
}

class Reader {
public:
    Reader(std::string_view what, std::string_view bytes) : what_(what), bytes_(bytes) {}

    uint64_t get(std::string_view field, size_t n) {
        if (error_) {
            return 0;
        }
        if (bytes_.size() - pos_ < n) {
            error_ = make_error(std::string(what_) + ": truncated at field '" + std::string(field) +
                                "'");
            return 0;
        }
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) {
            v = (v << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
        }
        pos_ += n;
        return v;
    }
    int8_t int8(std::string_view f) { return static_cast<int8_t>(static_cast<uint8_t>(get(f, 1))); }
    int16_t int16(std::string_view f) {
        return static_cast<int16_t>(static_cast<uint16_t>(get(f, 2)));
    }
    int32_t int32(std::string_view f) {
        return static_cast<int32_t>(static_cast<uint32_t>(get(f, 4)));
    }
    int64_t int64(std::string_view f) { return static_cast<int64_t>(get(f, 8)); }
    std::string string(std::string_view field) {
        const int16_t len = int16(field);
        if (error_) {
            return {};
        }
        if (len < 0 || bytes_.size() - pos_ < static_cast<size_t>(len)) {
            error_ = make_error(std::string(what_) + ": bad length " + std::to_string(len) +
                                " of field '" + std::string(field) + "'");
            return {};
        }
        std::string s(bytes_.substr(pos_, static_cast<size_t>(len)));
        pos_ += static_cast<size_t>(len);
        return s;
    }
    void fail(const std::string& message) {
        if (!error_) {
            error_ = make_error(std::string(what_) + ": " + message);
        }
    }
    const std::optional<Error>& error() const { return error_; }

private:
    std::string_view what_;
    std::string_view bytes_;
    size_t pos_ = 0;
    std::optional<Error> error_;
};

} // namespace

std::string offset_runs_topic(const std::string& source_alias) {
    return "kmirror-offset-runs." + source_alias + ".internal";
}

Result<std::string> encode_run_key(const OffsetRun& run) {
    if (run.topic.size() > kMaxStringBytes) {
        return make_error("offset run key: topic name of " + std::to_string(run.topic.size()) +
                          " bytes is longer than a Kafka protocol STRING");
    }
    std::string out;
    put(out, static_cast<uint16_t>(kVersion), 2);
    put(out, run.topic.size(), 2);
    out += run.topic;
    put(out, static_cast<uint32_t>(run.partition), 4);
    put(out, static_cast<uint64_t>(run.upstream_lo), 8);
    return out;
}

Result<std::string> encode_run_value(const OffsetRun& run) {
    if (run.upstream_hi < run.upstream_lo || run.upstream_lo < 0 || run.downstream_lo < 0) {
        return make_error("offset run of topic '" + run.topic + "' partition " +
                          std::to_string(run.partition) + ": invalid interval [" +
                          std::to_string(run.upstream_lo) + ", " + std::to_string(run.upstream_hi) +
                          "]");
    }
    std::string out;
    put(out, static_cast<uint16_t>(kVersion), 2);
    put(out, static_cast<uint64_t>(run.upstream_hi), 8);
    put(out, static_cast<uint64_t>(run.downstream_lo), 8);
    put(out, static_cast<uint8_t>(run.kind), 1);
    put(out, static_cast<uint64_t>(run.through), 8);
    return out;
}

Result<OffsetRunKey> decode_run_key(std::string_view key) {
    Reader r("offset run key", key);
    const int16_t version = r.int16("version");
    std::string topic = r.string("topic");
    const int32_t partition = r.int32("partition");
    const int64_t lo = r.int64("upstream_lo");
    if (!r.error() && version != kVersion) {
        r.fail("unknown version " + std::to_string(version));
    }
    if (!r.error() && (partition < 0 || lo < 0)) {
        r.fail("negative partition or offset");
    }
    if (r.error()) {
        return *r.error();
    }
    return OffsetRunKey{std::move(topic), partition, lo};
}

Result<OffsetRun> decode_run(std::string_view key, std::string_view value) {
    auto k = decode_run_key(key);
    if (!k) {
        return k.error();
    }
    OffsetRun run;
    std::tie(run.topic, run.partition, run.upstream_lo) = *k;
    Reader r("offset run of topic '" + run.topic + "' partition " + std::to_string(run.partition),
             value);
    const int16_t version = r.int16("version");
    run.upstream_hi = r.int64("upstream_hi");
    run.downstream_lo = r.int64("downstream_lo");
    const int8_t kind = r.int8("kind");
    run.through = r.int64("through");
    if (!r.error() && version != kVersion) {
        r.fail("unknown version " + std::to_string(version));
    }
    if (!r.error() && kind != static_cast<int8_t>(RunKind::dense) &&
        kind != static_cast<int8_t>(RunKind::constant)) {
        r.fail("unknown kind " + std::to_string(kind));
    }
    if (!r.error() && (run.upstream_hi < run.upstream_lo || run.downstream_lo < 0)) {
        r.fail("invalid interval");
    }
    if (r.error()) {
        return *r.error();
    }
    run.kind = static_cast<RunKind>(kind);
    return run;
}

void PersistedRuns::apply_record(const OffsetRunKey& key, const std::optional<OffsetRun>& run) {
    if (run) {
        runs_[key] = *run;
    } else {
        runs_.erase(key);
    }
}

void PersistedRuns::apply(const std::vector<RunChange>& changes) {
    for (const auto& c : changes) {
        const OffsetRunKey key{c.run.topic, c.run.partition, c.run.upstream_lo};
        apply_record(key, c.tombstone ? std::nullopt : std::optional<OffsetRun>(c.run));
    }
}

std::vector<RunChange> PersistedRuns::diff(const std::vector<OffsetRun>& current) const {
    std::vector<RunChange> out;
    size_t i = 0;
    while (i < current.size()) {
        const std::string& topic = current[i].topic;
        const int32_t partition = current[i].partition;
        std::map<int64_t, const OffsetRun*> now;
        for (; i < current.size() && current[i].topic == topic && current[i].partition == partition;
             ++i) {
            now[current[i].upstream_lo] = &current[i];
        }
        for (const auto& [lo, run] : now) {
            auto it = runs_.find(OffsetRunKey{topic, partition, lo});
            if (it == runs_.end() || !it->second.same_interval(*run)) {
                out.push_back(RunChange{*run, false});
            }
        }
        for (auto it = runs_.lower_bound(OffsetRunKey{topic, partition, INT64_MIN});
             it != runs_.end() && std::get<0>(it->first) == topic &&
             std::get<1>(it->first) == partition;
             ++it) {
            if (now.count(std::get<2>(it->first)) == 0) {
                out.push_back(RunChange{it->second, true});
            }
        }
    }
    return out;
}

std::vector<OffsetRun> PersistedRuns::all() const {
    std::vector<OffsetRun> out;
    out.reserve(runs_.size());
    for (const auto& [key, run] : runs_) {
        out.push_back(run);
    }
    return out;
}

std::vector<OffsetRun> consistent_runs(std::vector<OffsetRun> runs) {
    std::sort(runs.begin(), runs.end(),
              [](const OffsetRun& a, const OffsetRun& b) { return a.upstream_lo < b.upstream_lo; });
    if (runs.empty()) {
        return runs;
    }
    size_t last = 0;
    for (size_t i = 1; i < runs.size(); ++i) {
        if (runs[i].through >= runs[last].through) {
            last = i;
        }
    }
    runs.resize(last + 1);
    std::vector<OffsetRun> out;
    for (auto& r : runs) {
        if (!out.empty() && (r.upstream_lo <= out.back().upstream_hi ||
                             r.downstream_lo < out.back().downstream_hi())) {
            continue;
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<OffsetRun> runs_within(std::vector<OffsetRun> runs, int64_t syncs_end) {
    std::set<std::pair<std::string, int32_t>> stale;
    for (const auto& r : runs) {
        if (r.through >= syncs_end) {
            stale.emplace(r.topic, r.partition);
        }
    }
    std::erase_if(runs, [&](const OffsetRun& r) { return stale.count({r.topic, r.partition}); });
    return runs;
}

} // namespace kmirror::mirror
