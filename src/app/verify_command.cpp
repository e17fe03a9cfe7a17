#include "app/verify_command.h"

#include "app/tool_args.h"
#include "config/connector_config.h"
#include "config/mm2_config.h"
#include "mirror/verify.h"
#include "util/log.h"
#include "util/properties.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <thread>

namespace kmirror::app {
namespace {

std::string join(const std::vector<int64_t>& offsets) {
    std::string out;
    for (auto o : offsets) {
        out += (out.empty() ? "" : ", ") + std::to_string(o);
    }
    return out;
}

std::string more(int64_t total, size_t shown) {
    return total > static_cast<int64_t>(shown) ? ", ..." : "";
}

// The lines under a partition's row that say what is wrong and where.
void print_details(const std::string& flow, const mirror::PartitionCheck& c) {
    const auto& m = c.match;
    const std::string where = "  " + flow + " " + c.source_topic + "-" +
                              std::to_string(c.partition) + " -> " + c.target_topic + ": ";
    if (m.missing > 0) {
        std::string ranges;
        int64_t shown = 0; // records in the ranges shown
        for (const auto& r : m.missing_ranges) {
            ranges += (ranges.empty() ? "" : ", ") + std::to_string(r.first) +
                      (r.first == r.last ? "" : "-" + std::to_string(r.last));
            shown += r.last - r.first + 1;
        }
        std::printf("%smissing %lld record(s) at source offsets %s%s\n", where.c_str(),
                    static_cast<long long>(m.missing), ranges.c_str(),
                    shown < m.missing ? ", ..." : "");
    }
    if (m.not_copied > 0) {
        std::printf("%s%lld record(s) not copied yet, from source offset %lld\n", where.c_str(),
                    static_cast<long long>(m.not_copied),
                    static_cast<long long>(m.first_not_copied));
    }
    if (m.duplicates > 0) {
        std::printf("%s%lld duplicate(s) at target offsets %s%s\n", where.c_str(),
                    static_cast<long long>(m.duplicates), join(m.duplicate_offsets).c_str(),
                    more(m.duplicates, m.duplicate_offsets.size()).c_str());
    }
    if (m.foreign > 0) {
        std::printf("%s%lld record(s) not from the source (written to the target directly, or "
                    "compacted or deleted on the source) at target offsets %s%s\n",
                    where.c_str(), static_cast<long long>(m.foreign),
                    join(m.foreign_offsets).c_str(),
                    more(m.foreign, m.foreign_offsets.size()).c_str());
    }
}

// `--since`: epoch milliseconds, or a UTC time "YYYY-MM-DDTHH:MM:SS" (with or without "Z").
std::optional<int64_t> parse_since(const std::string& v) {
    if (!v.empty() && v.size() <= 15 && v.find_first_not_of("0123456789") == std::string::npos) {
        return std::stoll(v);
    }
    std::tm tm{};
    const char* end = strptime(v.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == nullptr || !(*end == '\0' || (end[0] == 'Z' && end[1] == '\0'))) {
        return std::nullopt;
    }
    return static_cast<int64_t>(timegm(&tm)) * 1000;
}

} // namespace

int verify_command(const std::vector<std::string>& args) {
    auto parsed = parse_tool_args("verify", args, {"--topics", "--timeout", "--wait", "--since"});
    if (!parsed) {
        return 2;
    }
    std::optional<mirror::JavaRegex> only;
    if (auto pattern = parsed->value("--topics"); !pattern.empty()) {
        auto regex = mirror::JavaRegex::compile(pattern);
        if (!regex) {
            std::fprintf(stderr, "kmirror verify: --topics: %s\n", regex.error().message.c_str());
            return 2;
        }
        only.emplace(std::move(regex).value());
    }
    std::chrono::seconds timeout{300};
    std::chrono::seconds wait{0};
    if (!seconds_option("verify", *parsed, "--timeout", timeout) ||
        !seconds_option("verify", *parsed, "--wait", wait)) {
        return 2;
    }
    const auto wait_until = std::chrono::steady_clock::now() + wait;
    int64_t since_ms = -1;
    if (parsed->values.count("--since") != 0) {
        auto since = parse_since(parsed->value("--since"));
        if (!since) {
            std::fprintf(stderr,
                         "kmirror verify: --since: expected epoch milliseconds or a UTC time "
                         "like 2026-11-26T12:00:00Z, got '%s'\n",
                         parsed->value("--since").c_str());
            return 2;
        }
        since_ms = *since;
    }
    auto dedicated = load_tool_flows("verify", parsed->file);
    if (!dedicated) {
        return 2;
    }
    std::vector<mirror::FlowVerifier> flows;
    for (const auto& fc : dedicated->flows) {
        auto settings = config::parse_mirror_source(fc.connector);
        if (!settings) {
            std::fprintf(stderr, "kmirror verify: flow %s->%s: %s\n", fc.source.c_str(),
                         fc.target.c_str(), settings.error().message.c_str());
            return 2;
        }
        auto verifier = mirror::FlowVerifier::create(*settings);
        if (!verifier) {
            std::fprintf(stderr, "kmirror verify: flow %s->%s: %s\n", fc.source.c_str(),
                         fc.target.c_str(), verifier.error().message.c_str());
            return 2;
        }
        flows.push_back(std::move(verifier).value());
    }

    int64_t partitions = 0;
    int64_t incomplete = 0;
    int64_t failed = 0; // flows whose topics could not be listed, partitions that could not be read
    int64_t records = 0;
    std::printf("%-16s %-32s %5s %10s %10s %10s %8s %10s %10s %8s %s\n", "FLOW", "TOPIC", "PART",
                "SOURCE", "TARGET", "MATCHED", "MISSING", "NOT-COPIED", "DUPLICATES", "FOREIGN",
                "RESULT");
    for (auto& flow : flows) {
        auto topics = flow.topics(only ? &*only : nullptr);
        if (!topics) {
            std::fprintf(stderr, "kmirror verify: flow %s: %s\n", flow.name().c_str(),
                         topics.error().message.c_str());
            ++failed;
            continue;
        }
        for (const auto& [topic, count] : *topics) {
            for (int32_t p = 0; p < count; ++p) {
                auto c = flow.check(topic, p, timeout, since_ms);
                // With --wait, a partition whose only shortfall is its tail not copied yet is
                // checked again until it is complete or the time is up.
                while (c && c->match.missing == 0 && c->match.not_copied > 0 &&
                       std::chrono::steady_clock::now() < wait_until) {
                    std::this_thread::sleep_for(std::chrono::seconds(1));
                    c = flow.check(topic, p, timeout, since_ms);
                }
                if (!c) {
                    std::fprintf(stderr, "kmirror verify: flow %s: %s\n", flow.name().c_str(),
                                 c.error().message.c_str());
                    ++failed;
                    continue;
                }
                const auto& m = c->match;
                ++partitions;
                records += c->source_records;
                if (!m.complete()) {
                    ++incomplete;
                }
                std::printf("%-16s %-32s %5d %10lld %10lld %10lld %8lld %10lld %10lld %8lld %s\n",
                            flow.name().c_str(), topic.c_str(), p,
                            static_cast<long long>(c->source_records),
                            static_cast<long long>(c->target_records),
                            static_cast<long long>(m.matched), static_cast<long long>(m.missing),
                            static_cast<long long>(m.not_copied),
                            static_cast<long long>(m.duplicates), static_cast<long long>(m.foreign),
                            m.complete() ? "complete" : "INCOMPLETE");
                print_details(flow.name(), *c);
            }
        }
    }
    if (failed > 0) {
        std::printf("not verified: %lld read error(s), see above (%lld partition(s) checked, "
                    "%lld of them incomplete)\n",
                    static_cast<long long>(failed), static_cast<long long>(partitions),
                    static_cast<long long>(incomplete));
        return 1;
    }
    if (incomplete > 0) {
        std::printf("%lld of %lld partition(s) incomplete\n", static_cast<long long>(incomplete),
                    static_cast<long long>(partitions));
        return 1;
    }
    std::printf("every record arrived: %lld record(s) in %lld partition(s)\n",
                static_cast<long long>(records), static_cast<long long>(partitions));
    return 0;
}

} // namespace kmirror::app
