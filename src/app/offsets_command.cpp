#include "app/offsets_command.h"

#include "app/tool_args.h"
#include "config/checkpoint_config.h"
#include "config/mm2_config.h"
#include "mirror/checkpoint_task.h"
#include "util/log.h"
#include "util/properties.h"

#include <cstdio>
#include <string>

namespace kmirror::app {
namespace {

std::string offset_text(int64_t v) {
    return v < 0 ? "-" : std::to_string(v);
}

const char* kind_text(const mirror::Translation& t) {
    switch (t.kind) {
    case mirror::TranslationKind::exact:
        return "yes";
    case mirror::TranslationKind::conservative:
        return "no (MM2 rule)";
    case mirror::TranslationKind::beyond_end:
        return "- (not replicated yet)";
    case mirror::TranslationKind::none:
        break;
    }
    return "- (no offset syncs)";
}

} // namespace

int offsets_command(const std::vector<std::string>& args) {
    auto parsed = parse_tool_args("offsets", args, {"--group"});
    if (!parsed) {
        return 2;
    }
    const std::string group = parsed->value("--group");
    auto dedicated = load_tool_flows("offsets", parsed->file);
    if (!dedicated) {
        return 2;
    }
    int status = 0;
    std::printf("%-8s %-24s %-24s %5s %12s %10s %12s %-22s %12s %10s\n", "FLOW", "GROUP", "TOPIC",
                "PART", "SOURCE-OFF", "SOURCE-LAG", "TRANSLATED", "EXACT", "TARGET-OFF",
                "TARGET-LAG");
    for (const auto& fc : dedicated->flows) {
        const std::string flow = fc.source + "->" + fc.target;
        auto settings = config::parse_mirror_checkpoint(fc.checkpoint);
        if (!settings) {
            std::fprintf(stderr, "kmirror offsets: flow %s: %s\n", flow.c_str(),
                         settings.error().message.c_str());
            return 2;
        }
        auto task = mirror::CheckpointTask::create(*settings, nullptr);
        if (!task) {
            std::fprintf(stderr, "kmirror offsets: flow %s: %s\n", flow.c_str(),
                         task.error().message.c_str());
            return 2;
        }
        auto rows = (*task)->report(group);
        if (!rows) {
            std::fprintf(stderr, "kmirror offsets: flow %s: %s\n", flow.c_str(),
                         rows.error().message.c_str());
            status = 1;
            continue;
        }
        for (const auto& r : *rows) {
            const int64_t source_lag = r.source_end >= 0 && r.source_committed >= 0
                                           ? r.source_end - r.source_committed
                                           : -1;
            const int64_t target_pos = r.target_committed >= 0
                                           ? r.target_committed
                                           : (r.translation.ok() ? r.translation.downstream : -1);
            const int64_t target_lag = r.target_end >= 0 && target_pos >= 0
                                           ? std::max<int64_t>(0, r.target_end - target_pos)
                                           : -1;
            std::printf("%-8s %-24s %-24s %5d %12s %10s %12s %-22s %12s %10s\n", flow.c_str(),
                        r.group.c_str(), r.source_topic.c_str(), r.partition,
                        offset_text(r.source_committed).c_str(), offset_text(source_lag).c_str(),
                        offset_text(r.translation.ok() ? r.translation.downstream : -1).c_str(),
                        kind_text(r.translation), offset_text(r.target_committed).c_str(),
                        offset_text(target_lag).c_str());
        }
    }
    return status;
}

} // namespace kmirror::app
