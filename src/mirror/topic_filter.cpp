#include "mirror/topic_filter.h"

#include "util/strings.h"

#include <vector>

namespace kmirror::mirror {

namespace {

bool is_java_trim_char(char c) {
    return static_cast<unsigned char>(c) <= 0x20;
}
bool is_java_regex_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r';
}

// ConfigDef LIST: the value is trimmed, an empty value is the empty list, otherwise it is split
// on `\s*,\s*` keeping empty items ("a,,b" has three items and so matches the empty name).
std::vector<std::string> parse_java_list(std::string_view value) {
    while (!value.empty() && is_java_trim_char(value.front())) {
        value.remove_prefix(1);
    }
    while (!value.empty() && is_java_trim_char(value.back())) {
        value.remove_suffix(1);
    }
    std::vector<std::string> items;
    if (value.empty()) {
        return items;
    }
    size_t start = 0;
    for (;;) {
        const size_t comma = value.find(',', start);
        std::string_view item = value.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (start != 0) {
            while (!item.empty() && is_java_regex_space(item.front())) {
                item.remove_prefix(1);
            }
        }
        if (comma != std::string_view::npos) {
            while (!item.empty() && is_java_regex_space(item.back())) {
                item.remove_suffix(1);
            }
        }
        items.emplace_back(item);
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return items;
}

} // namespace

Result<PatternList> PatternList::from_config(const Properties& cfg, std::string_view key,
                                             std::string_view default_value) {
    const std::string key_str(key);
    const std::string* configured = cfg.find(key_str);
    auto items =
        parse_java_list(configured != nullptr ? std::string_view(*configured) : default_value);
    if (items.empty()) {
        return PatternList(std::nullopt);
    }
    auto regex = JavaRegex::compile(strings::join(items, "|"));
    if (!regex) {
        return make_error(key_str + ": " + regex.error().message);
    }
    return PatternList(std::move(regex).value());
}

Result<TopicFilter> TopicFilter::create(const Properties& cfg) {
    auto include = PatternList::from_config(cfg, kTopicsKey, kTopicsDefault);
    if (!include) {
        return include.error();
    }
    auto exclude = PatternList::from_config(cfg, kTopicsExcludeKey, kTopicsExcludeDefault);
    if (!exclude) {
        return exclude.error();
    }
    return TopicFilter(std::move(include).value(), std::move(exclude).value());
}

Result<GroupFilter> GroupFilter::create(const Properties& cfg) {
    auto include = PatternList::from_config(cfg, kGroupsKey, kGroupsDefault);
    if (!include) {
        return include.error();
    }
    auto exclude = PatternList::from_config(cfg, kGroupsExcludeKey, kGroupsExcludeDefault);
    if (!exclude) {
        return exclude.error();
    }
    return GroupFilter(std::move(include).value(), std::move(exclude).value());
}

Result<ConfigPropertyFilter> ConfigPropertyFilter::create(const Properties& cfg) {
    auto exclude =
        PatternList::from_config(cfg, kConfigPropertiesExcludeKey, kConfigPropertiesExcludeDefault);
    if (!exclude) {
        return exclude.error();
    }
    const std::string use_defaults_from(strings::trim(
        cfg.get(std::string(kUseDefaultsFromKey), std::string(kUseDefaultsFromDefault))));
    return ConfigPropertyFilter(std::move(exclude).value(), use_defaults_from == "source");
}

bool is_cycle(const ReplicationPolicy& policy, std::string_view target_alias,
              std::string_view topic) {
    std::string current(topic);
    for (;;) {
        auto source = policy.topic_source(current);
        if (!source) {
            return false;
        }
        if (*source == target_alias) {
            return true;
        }
        auto upstream = policy.upstream_topic(current);
        // upstream == topic guards Identity-like policies, which would otherwise never stop.
        if (!upstream || *upstream == current) {
            return false;
        }
        current = std::move(*upstream);
    }
}

bool should_replicate_topic(const TopicFilter& filter, const ReplicationPolicy& policy,
                            std::string_view target_alias, std::string_view topic,
                            bool heartbeats_replication_enabled) {
    const bool selected = filter.should_replicate_topic(topic) ||
                          (heartbeats_replication_enabled && policy.is_heartbeats_topic(topic));
    return selected && !policy.is_internal_topic(topic) && !is_cycle(policy, target_alias, topic);
}

std::string checkpoint_topic_name(const ReplicationPolicy& policy, std::string_view source_alias,
                                  std::string_view target_alias, std::string_view topic) {
    if (policy.topic_source(topic) == target_alias) {
        return policy.original_topic(topic);
    }
    return policy.format_remote_topic(source_alias, topic);
}

} // namespace kmirror::mirror
