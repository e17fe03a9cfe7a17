#include "app/cutover_command.h"

#include "app/tool_args.h"
#include "config/checkpoint_config.h"
#include "config/mm2_config.h"
#include "kafka/admin.h"
#include "mirror/checkpoint_task.h"
#include "mirror/client_spec.h"
#include "mirror/cutover_plan.h"
#include "util/log.h"
#include "util/properties.h"

#include <cstdio>
#include <optional>
#include <set>
#include <string>

namespace kmirror::app {
namespace {

std::string offset_text(int64_t v) {
    return v < 0 ? "-" : std::to_string(v);
}

// One flow's clients: the report of its groups and both clusters' admin clients.
struct FlowClients {
    std::string name;
    config::MirrorCheckpointSettings settings;
    std::unique_ptr<mirror::CheckpointTask> task;
    std::optional<kafka::Admin> source_admin;
    std::optional<kafka::Admin> target_admin;
};

Result<kafka::Admin> admin_for(const std::string& cluster, const std::string& role,
                               const Properties& java) {
    std::vector<std::string> notes; // settings without a librdkafka equivalent: irrelevant here
    auto spec = mirror::build_client_spec(
        {cluster, role, java, kafka::ClientRole::admin, {{"client.id", "kmirror-" + role}}, {}},
        notes);
    if (!spec) {
        return spec.error();
    }
    return kafka::Admin::create(*spec);
}

Result<FlowClients> open_flow(const config::FlowConnectorConfig& fc) {
    FlowClients f;
    f.name = fc.source + "->" + fc.target;
    auto settings = config::parse_mirror_checkpoint(fc.checkpoint);
    if (!settings) {
        return settings.error();
    }
    f.settings = std::move(settings).value();
    auto task = mirror::CheckpointTask::create(f.settings, nullptr);
    if (!task) {
        return task.error();
    }
    f.task = std::move(task).value();
    auto source =
        admin_for(f.settings.source_alias, "cutover-source-admin", f.settings.source_admin);
    if (!source) {
        return source.error();
    }
    f.source_admin.emplace(std::move(source).value());
    auto target =
        admin_for(f.settings.target_alias, "cutover-target-admin", f.settings.target_admin);
    if (!target) {
        return target.error();
    }
    f.target_admin.emplace(std::move(target).value());
    return f;
}

Result<std::optional<kafka::GroupDescription>>
describe(const kafka::Admin& admin, const std::string& group, std::chrono::milliseconds timeout) {
    auto described = admin.describe_consumer_groups({group}, timeout);
    if (!described) {
        return described.error();
    }
    auto it = described->find(group);
    if (it == described->end()) {
        return std::optional<kafka::GroupDescription>{};
    }
    return std::optional<kafka::GroupDescription>{it->second};
}

// The source topics `group` has committed offsets on that are not among `rows` (the flow does not
// replicate them); empty when the offsets cannot be read (the report read them just before).
std::vector<std::string> unreplicated(const FlowClients& f, const std::string& group,
                                      const std::vector<mirror::GroupOffsetReport>& rows) {
    std::set<std::string> topics;
    if (auto committed =
            f.source_admin->list_consumer_group_offsets(group, f.settings.admin_timeout)) {
        for (const auto& [tp, offset] : *committed) {
            topics.insert(tp.first);
        }
    }
    for (const auto& r : rows) {
        topics.erase(r.source_topic);
    }
    return {topics.begin(), topics.end()};
}

void print_plan(const std::string& flow, const mirror::CutoverPlan& plan) {
    std::printf("group '%s', flow %s:\n", plan.group.c_str(), flow.c_str());
    if (!plan.partitions.empty()) {
        std::printf("  %-32s %5s %16s %-32s %14s %8s %14s %s\n", "SOURCE-TOPIC", "PART",
                    "SOURCE-COMMITTED", "TARGET-TOPIC", "TRANSLATED", "EXACT", "TARGET-NOW",
                    "ACTION");
    }
    for (const auto& p : plan.partitions) {
        const auto& r = p.report;
        std::printf("  %-32s %5d %16s %-32s %14s %8s %14s %s\n", r.source_topic.c_str(),
                    r.partition, offset_text(r.source_committed).c_str(), r.target_topic.c_str(),
                    offset_text(r.translation.ok() ? r.translation.downstream : -1).c_str(),
                    r.translation.exact() ? "yes" : "no", offset_text(r.target_committed).c_str(),
                    mirror::action_text(p.action));
    }
    for (const auto& w : plan.warnings) {
        std::printf("  warning: %s\n", w.c_str());
    }
    for (const auto& b : plan.blockers) {
        std::printf("  BLOCKED: %s\n", b.c_str());
    }
}

// Commits the plan's offsets on the target and reads them back.
Status commit_plan(const FlowClients& f, const mirror::CutoverPlan& plan) {
    const auto timeout = f.settings.admin_timeout;
    if (auto s = f.target_admin->alter_consumer_group_offsets(plan.group, plan.to_write, timeout);
        !s) {
        return s;
    }
    std::vector<kafka::TopicPartitionKey> partitions;
    for (const auto& [tp, offset] : plan.to_write) {
        partitions.push_back(tp);
    }
    auto now = f.target_admin->list_consumer_group_offsets(plan.group, timeout, &partitions);
    if (!now) {
        return now.error();
    }
    for (const auto& [tp, offset] : plan.to_write) {
        auto it = now->find(tp);
        const int64_t read = it == now->end() ? -1 : it->second.offset;
        if (read != offset.offset) {
            return make_error("cluster '" + f.settings.target_alias + "' group '" + plan.group +
                              "' topic '" + tp.first + "' partition " + std::to_string(tp.second) +
                              ": committed " + std::to_string(offset.offset) + " but reads back " +
                              offset_text(read));
        }
    }
    return {};
}

} // namespace

int cutover_command(const std::vector<std::string>& args) {
    auto parsed = parse_tool_args("cutover", args, {"--group"}, {"--commit"});
    if (!parsed) {
        return 2;
    }
    const auto groups = parsed->values["--group"];
    const bool commit = parsed->flags.count("--commit") != 0;
    if (groups.empty()) {
        std::fputs("kmirror cutover: --group: expected at least one consumer group to move\n",
                   stderr);
        return 2;
    }
    auto dedicated = load_tool_flows("cutover", parsed->file);
    if (!dedicated) {
        return 2;
    }
    std::vector<FlowClients> flows;
    for (const auto& fc : dedicated->flows) {
        auto f = open_flow(fc);
        if (!f) {
            std::fprintf(stderr, "kmirror cutover: flow %s->%s: %s\n", fc.source.c_str(),
                         fc.target.c_str(), f.error().message.c_str());
            return 2;
        }
        flows.push_back(std::move(f).value());
    }

    int status = 0;
    for (const auto& group : groups) {
        // The plans of the flows that replicate some of the group's topics.
        std::vector<std::pair<FlowClients*, mirror::CutoverPlan>> plans;
        bool failed = false;
        for (auto& f : flows) {
            const auto timeout = f.settings.admin_timeout;
            auto rows = f.task->report(group);
            auto on_source = describe(*f.source_admin, group, timeout);
            auto on_target = describe(*f.target_admin, group, timeout);
            for (const Status& s : {rows ? Status{} : Status(rows.error()),
                                    on_source ? Status{} : Status(on_source.error()),
                                    on_target ? Status{} : Status(on_target.error())}) {
                if (!s) {
                    std::fprintf(stderr, "kmirror cutover: group '%s', flow %s: %s\n",
                                 group.c_str(), f.name.c_str(), s.error().message.c_str());
                    failed = true;
                }
            }
            if (failed) {
                break;
            }
            auto plan =
                mirror::plan_cutover(group, f.settings.source_alias, f.settings.target_alias,
                                     *on_source, *on_target, *rows, unreplicated(f, group, *rows));
            if (!plan.partitions.empty() || plans.empty()) {
                plans.emplace_back(&f, std::move(plan));
            }
        }
        if (failed) {
            status = 1;
            continue;
        }
        // A flow that replicates none of the group's topics says nothing about it.
        if (plans.size() > 1) {
            std::erase_if(plans, [](const auto& fp) { return fp.second.partitions.empty(); });
        }
        bool ready = true;
        for (const auto& [f, plan] : plans) {
            print_plan(f->name, plan);
            ready = ready && plan.ready();
        }
        if (!ready) {
            std::printf("=> group '%s' is not ready to move: see BLOCKED above\n", group.c_str());
            status = 1;
            continue;
        }
        if (!commit) {
            std::printf("=> group '%s' is ready: run again with --commit to commit these "
                        "positions on the target, then start its consumers there\n",
                        group.c_str());
            continue;
        }
        for (const auto& [f, plan] : plans) {
            if (plan.to_write.empty()) {
                continue;
            }
            if (auto s = commit_plan(*f, plan); !s) {
                std::fprintf(stderr, "kmirror cutover: group '%s', flow %s: %s\n", group.c_str(),
                             f->name.c_str(), s.error().message.c_str());
                status = 1;
                ready = false;
            }
        }
        if (ready) {
            std::printf("=> group '%s' moved: its positions are committed on the target; start "
                        "its consumers there\n",
                        group.c_str());
        }
    }
    return status;
}

} // namespace kmirror::app
