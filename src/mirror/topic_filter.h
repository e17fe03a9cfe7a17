// MM2's default filters (spec §2.2, §2.3) and the topic-selection rules built on them (§3.4).
#pragma once

#include "mirror/java_regex.h"
#include "mirror/replication_policy.h"
#include "util/properties.h"
#include "util/result.h"

#include <optional>
#include <string>
#include <string_view>

namespace kmirror::mirror {

inline constexpr std::string_view kTopicsKey = "topics";
inline constexpr std::string_view kTopicsDefault = ".*";
inline constexpr std::string_view kTopicsExcludeKey = "topics.exclude";
inline constexpr std::string_view kTopicsExcludeDefault = ".*[\\-\\.]internal, .*\\.replica, __.*";
inline constexpr std::string_view kGroupsKey = "groups";
inline constexpr std::string_view kGroupsDefault = ".*";
inline constexpr std::string_view kGroupsExcludeKey = "groups.exclude";
inline constexpr std::string_view kGroupsExcludeDefault = "console-consumer-.*, connect-.*, __.*";
inline constexpr std::string_view kConfigPropertiesExcludeKey = "config.properties.exclude";
inline constexpr std::string_view kConfigPropertiesExcludeDefault =
    "follower\\.replication\\.throttled\\.replicas, "
    "leader\\.replication\\.throttled\\.replicas, "
    "message\\.timestamp\\.difference\\.max\\.ms, "
    "message\\.timestamp\\.type, "
    "unclean\\.leader\\.election\\.enable, "
    "min\\.insync\\.replicas";
inline constexpr std::string_view kUseDefaultsFromKey = "use.defaults.from";
inline constexpr std::string_view kUseDefaultsFromDefault = "target";

// A LIST-valued key whose items are joined with `|` into one Java regex (MirrorUtils'
// compilePatternList). An empty list is "no pattern" and matches nothing, so an empty include
// list selects nothing and an empty exclude list excludes nothing.
// Thread rules: immutable; safe to share between threads.
class PatternList {
public:
    // Reads `key` (or `default_value` when absent) with Java ConfigDef LIST parsing. An invalid
    // regex is an error naming the key.
    static Result<PatternList> from_config(const Properties& cfg, std::string_view key,
                                           std::string_view default_value);
    bool matches(std::string_view name) const { return regex_ && regex_->full_match(name); }
    // The joined regex, or "" for an empty list.
    std::string pattern() const { return regex_ ? regex_->pattern() : std::string(); }

private:
    explicit PatternList(std::optional<JavaRegex> regex) : regex_(std::move(regex)) {}
    std::optional<JavaRegex> regex_;
};

// `topics` / `topics.exclude`; exclusion wins. Thread rules: immutable; safe to share.
class TopicFilter {
public:
    static Result<TopicFilter> create(const Properties& cfg);
    bool should_replicate_topic(std::string_view topic) const {
        return include_.matches(topic) && !exclude_.matches(topic);
    }

private:
    TopicFilter(PatternList include, PatternList exclude)
        : include_(std::move(include)), exclude_(std::move(exclude)) {}
    PatternList include_;
    PatternList exclude_;
};

// `groups` / `groups.exclude`; exclusion wins. Thread rules: immutable; safe to share.
class GroupFilter {
public:
    static Result<GroupFilter> create(const Properties& cfg);
    bool should_replicate_group(std::string_view group) const {
        return include_.matches(group) && !exclude_.matches(group);
    }

private:
    GroupFilter(PatternList include, PatternList exclude)
        : include_(std::move(include)), exclude_(std::move(exclude)) {}
    PatternList include_;
    PatternList exclude_;
};

// `config.properties.exclude` and `use.defaults.from` (topic config sync, spec §6.1).
// Thread rules: immutable; safe to share.
class ConfigPropertyFilter {
public:
    static Result<ConfigPropertyFilter> create(const Properties& cfg);
    bool should_replicate_config_property(std::string_view name) const {
        return !exclude_.matches(name);
    }
    // true only for use.defaults.from=source (exact, after trimming): copy the source's default
    // value with SET; otherwise the target override is DELETEd so the target's default applies.
    bool should_replicate_source_default(std::string_view /*name*/) const {
        return use_defaults_from_source_;
    }

private:
    ConfigPropertyFilter(PatternList exclude, bool from_source)
        : exclude_(std::move(exclude)), use_defaults_from_source_(from_source) {}
    PatternList exclude_;
    bool use_defaults_from_source_;
};

// MirrorSourceConnector#isCycle: does `topic` (on the source) originally come from
// `target_alias`, following topic_source/upstream_topic hop by hop?
bool is_cycle(const ReplicationPolicy& policy, std::string_view target_alias,
              std::string_view topic);

// MirrorSourceConnector#shouldReplicateTopic for a topic on the source cluster of a flow to
// `target_alias`: (filter accepts it, or it is a heartbeats topic and
// heartbeats.replication.enabled) and it is not internal and not a cycle.
bool should_replicate_topic(const TopicFilter& filter, const ReplicationPolicy& policy,
                            std::string_view target_alias, std::string_view topic,
                            bool heartbeats_replication_enabled);

// MirrorCheckpointTask#renameTopicPartition: the downstream topic a group offset on upstream
// `topic` is checkpointed for. A topic that came from the target maps back to its original name
// (B.orders on A -> orders on B, for failback); anything else gets its remote name.
std::string checkpoint_topic_name(const ReplicationPolicy& policy, std::string_view source_alias,
                                  std::string_view target_alias, std::string_view topic);

} // namespace kmirror::mirror
