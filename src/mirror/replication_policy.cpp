#include "mirror/replication_policy.h"

#include "util/strings.h"

#include <array>
#include <vector>

namespace kmirror::mirror {

namespace {

constexpr std::string_view kHeartbeatsTopic = "heartbeats";

// Java's Pattern.split(input) (limit 0) with a quoted, i.e. literal, separator.
std::vector<std::string_view> java_split_literal(std::string_view input, std::string_view sep) {
    std::vector<std::string_view> parts;
    if (sep.empty()) {
        // An empty pattern matches between every character; Java never yields an empty leading
        // part for a zero-width match at the start, so the parts are the characters themselves.
        size_t i = 0;
        while (i < input.size()) {
            const auto lead = static_cast<unsigned char>(input[i]);
            size_t len = lead < 0x80    ? 1
                         : lead >= 0xF0 ? 4
                         : lead >= 0xE0 ? 3
                         : lead >= 0xC0 ? 2
                                        : 1;
            len = std::min(len, input.size() - i);
            parts.push_back(input.substr(i, len));
            i += len;
        }
        if (parts.empty()) {
            parts.push_back(input);
        }
        return parts;
    }
    size_t start = 0;
    for (size_t hit = input.find(sep); hit != std::string_view::npos;
         hit = input.find(sep, start)) {
        parts.push_back(input.substr(start, hit - start));
        start = hit + sep.size();
    }
    parts.push_back(input.substr(start));
    // Trailing empty strings are removed; a lone input with no match stays as [input].
    while (parts.size() > 1 && parts.back().empty()) {
        parts.pop_back();
    }
    if (parts.size() == 1 && parts.front().empty() && !input.empty()) {
        parts.pop_back();
    }
    return parts;
}

bool looks_like_heartbeats(std::string_view topic) {
    return topic.ends_with(kHeartbeatsTopic);
}

Error bad_value(std::string_view key, std::string_view value, std::string_view expected) {
    return make_error(std::string(key) + ": invalid value \"" + std::string(value) +
                      "\", expected " + std::string(expected));
}

} // namespace

// ---- ReplicationPolicy (interface defaults) ----

std::string ReplicationPolicy::original_topic(std::string_view topic) const {
    std::string current(topic);
    // Each hop strips one level (A.B.t -> B.t -> t); a policy whose upstream is the topic itself
    // (Identity) ends the walk.
    for (;;) {
        auto upstream = upstream_topic(current);
        if (!upstream || *upstream == current) {
            return current;
        }
        current = std::move(*upstream);
    }
}

std::string ReplicationPolicy::heartbeats_topic() const {
    return std::string(kHeartbeatsTopic);
}

std::string ReplicationPolicy::offset_syncs_topic(std::string_view cluster_alias) const {
    return "mm2-offset-syncs." + std::string(cluster_alias) + ".internal";
}

std::string ReplicationPolicy::checkpoints_topic(std::string_view cluster_alias) const {
    return std::string(cluster_alias) + ".checkpoints.internal";
}

bool ReplicationPolicy::is_heartbeats_topic(std::string_view topic) const {
    return heartbeats_topic() == original_topic(topic);
}

bool ReplicationPolicy::is_checkpoints_topic(std::string_view topic) const {
    return topic.ends_with(".checkpoints.internal");
}

bool ReplicationPolicy::is_mm2_internal_topic(std::string_view topic) const {
    return topic.ends_with(".internal");
}

bool ReplicationPolicy::is_internal_topic(std::string_view topic) const {
    const bool kafka_internal = topic.starts_with("__") || topic.starts_with(".");
    const bool connect_internal = topic.ends_with("-internal") || topic.ends_with(".internal");
    return is_mm2_internal_topic(topic) || kafka_internal || connect_internal;
}

// ---- DefaultReplicationPolicy ----

DefaultReplicationPolicy::DefaultReplicationPolicy(SeparatorOptions options)
    : separator_(std::move(options.separator)),
      internal_separator_(options.internal_topic_separator_enabled ? separator_ : ".") {}

std::string DefaultReplicationPolicy::format_remote_topic(std::string_view source_alias,
                                                          std::string_view topic) const {
    std::string out(source_alias);
    out += separator_;
    out += topic;
    return out;
}

std::optional<std::string> DefaultReplicationPolicy::topic_source(std::string_view topic) const {
    auto parts = java_split_literal(topic, separator_);
    if (parts.size() < 2) {
        return std::nullopt;
    }
    return std::string(parts.front());
}

std::optional<std::string> DefaultReplicationPolicy::upstream_topic(std::string_view topic) const {
    auto source = DefaultReplicationPolicy::topic_source(topic);
    if (!source) {
        return std::nullopt;
    }
    return std::string(topic.substr(source->size() + separator_.size()));
}

std::string DefaultReplicationPolicy::offset_syncs_topic(std::string_view cluster_alias) const {
    return "mm2-offset-syncs" + internal_separator_ + std::string(cluster_alias) +
           internal_separator_ + "internal";
}

std::string DefaultReplicationPolicy::checkpoints_topic(std::string_view cluster_alias) const {
    return std::string(cluster_alias) + internal_separator_ + "checkpoints" + internal_separator_ +
           "internal";
}

bool DefaultReplicationPolicy::is_checkpoints_topic(std::string_view topic) const {
    return topic.ends_with(internal_separator_ + "checkpoints" + internal_separator_ + "internal");
}

bool DefaultReplicationPolicy::is_mm2_internal_topic(std::string_view topic) const {
    return topic.ends_with(internal_separator_ + "internal");
}

// ---- IdentityReplicationPolicy ----

IdentityReplicationPolicy::IdentityReplicationPolicy(SeparatorOptions options,
                                                     std::optional<std::string> source_alias)
    : DefaultReplicationPolicy(std::move(options)), source_alias_(std::move(source_alias)) {}

std::string IdentityReplicationPolicy::format_remote_topic(std::string_view source_alias,
                                                           std::string_view topic) const {
    if (looks_like_heartbeats(topic)) {
        return DefaultReplicationPolicy::format_remote_topic(source_alias, topic);
    }
    return std::string(topic);
}

std::optional<std::string> IdentityReplicationPolicy::topic_source(std::string_view topic) const {
    if (looks_like_heartbeats(topic)) {
        return DefaultReplicationPolicy::topic_source(topic);
    }
    return source_alias_;
}

std::optional<std::string> IdentityReplicationPolicy::upstream_topic(std::string_view topic) const {
    if (looks_like_heartbeats(topic)) {
        return DefaultReplicationPolicy::upstream_topic(topic);
    }
    return std::string(topic);
}

// ---- RenameReplicationPolicy ----

RenameReplicationPolicy::RenameReplicationPolicy(SeparatorOptions options,
                                                 std::optional<std::string> source_alias,
                                                 std::string prefix, std::string suffix,
                                                 std::optional<JavaReplacement> rename)
    : DefaultReplicationPolicy(std::move(options)), source_alias_(std::move(source_alias)),
      prefix_(std::move(prefix)), suffix_(std::move(suffix)), rename_(std::move(rename)) {}

std::unique_ptr<RenameReplicationPolicy>
RenameReplicationPolicy::with_affixes(SeparatorOptions options,
                                      std::optional<std::string> source_alias, std::string prefix,
                                      std::string suffix) {
    return std::unique_ptr<RenameReplicationPolicy>(
        new RenameReplicationPolicy(std::move(options), std::move(source_alias), std::move(prefix),
                                    std::move(suffix), std::nullopt));
}

std::unique_ptr<RenameReplicationPolicy> RenameReplicationPolicy::with_regex(
    SeparatorOptions options, std::optional<std::string> source_alias, JavaReplacement rename) {
    return std::unique_ptr<RenameReplicationPolicy>(new RenameReplicationPolicy(
        std::move(options), std::move(source_alias), "", "", std::move(rename)));
}

bool RenameReplicationPolicy::has_affixes(std::string_view topic) const {
    return topic.size() > prefix_.size() + suffix_.size() && topic.starts_with(prefix_) &&
           topic.ends_with(suffix_);
}

std::string RenameReplicationPolicy::format_remote_topic(std::string_view source_alias,
                                                         std::string_view topic) const {
    if (looks_like_heartbeats(topic)) {
        return DefaultReplicationPolicy::format_remote_topic(source_alias, topic);
    }
    if (rename_) {
        auto renamed = rename_->apply_to_full_match(topic);
        return renamed ? std::move(*renamed) : std::string(topic);
    }
    return prefix_ + std::string(topic) + suffix_;
}

std::optional<std::string> RenameReplicationPolicy::topic_source(std::string_view topic) const {
    if (looks_like_heartbeats(topic)) {
        return DefaultReplicationPolicy::topic_source(topic);
    }
    if (rename_ || has_affixes(topic)) {
        return source_alias_;
    }
    return std::nullopt;
}

std::optional<std::string> RenameReplicationPolicy::upstream_topic(std::string_view topic) const {
    if (looks_like_heartbeats(topic)) {
        return DefaultReplicationPolicy::upstream_topic(topic);
    }
    if (rename_) {
        return std::string(topic);
    }
    if (has_affixes(topic)) {
        return std::string(
            topic.substr(prefix_.size(), topic.size() - prefix_.size() - suffix_.size()));
    }
    return std::nullopt;
}

// ---- factory ----

namespace {

enum class PolicyKind { Default, Identity, Rename };

struct PolicyName {
    std::string_view name;
    PolicyKind kind;
};

constexpr std::array<PolicyName, 7> kPolicyNames{{
    {"org.apache.kafka.connect.mirror.DefaultReplicationPolicy", PolicyKind::Default},
    {"DefaultReplicationPolicy", PolicyKind::Default},
    {"org.apache.kafka.connect.mirror.IdentityReplicationPolicy", PolicyKind::Identity},
    {"IdentityReplicationPolicy", PolicyKind::Identity},
    {"io.kmirror.RenameReplicationPolicy", PolicyKind::Rename},
    {"RenameReplicationPolicy", PolicyKind::Rename},
    // The seed system's AWS sample policy keeps topic names, i.e. behaves like Identity.
    {"com.amazonaws.kafka.samples.CustomMM2ReplicationPolicy", PolicyKind::Identity},
}};

std::string accepted_policy_names() {
    std::string out;
    for (const auto& p : kPolicyNames) {
        if (!out.empty()) {
            out += ", ";
        }
        out += p.name;
    }
    return out;
}

Result<SeparatorOptions> separator_options(const Properties& cfg) {
    SeparatorOptions options;
    bool internal_enabled = true;
    if (const auto* flag = cfg.find(kInternalTopicSeparatorEnabledKey)) {
        if (!strings::parse_bool(*flag, internal_enabled)) {
            return bad_value(kInternalTopicSeparatorEnabledKey, *flag, "true or false");
        }
    }
    // Java only looks at the flag when a separator is configured; with the default separator
    // the two internal-name styles coincide anyway.
    if (const auto* sep = cfg.find(kReplicationPolicySeparatorKey)) {
        options.separator = *sep;
        options.internal_topic_separator_enabled = internal_enabled;
    }
    return options;
}

std::optional<std::string> optional_trimmed(const Properties& cfg, const char* key) {
    if (const auto* v = cfg.find(key)) {
        return std::string(strings::trim(*v));
    }
    return std::nullopt;
}

Result<std::unique_ptr<ReplicationPolicy>> make_rename_policy(const Properties& cfg,
                                                              SeparatorOptions options,
                                                              std::optional<std::string> alias) {
    const std::string prefix = optional_trimmed(cfg, kRenamePrefixKey).value_or("");
    const std::string suffix = optional_trimmed(cfg, kRenameSuffixKey).value_or("");
    const auto regex = optional_trimmed(cfg, kRenameRegexKey);
    const auto replacement = optional_trimmed(cfg, kRenameReplacementKey);
    const bool affixes = !prefix.empty() || !suffix.empty();

    if (affixes && regex) {
        return make_error(std::string("RenameReplicationPolicy: set either ") + kRenamePrefixKey +
                          " / " + kRenameSuffixKey + " or " + kRenameRegexKey + ", not both");
    }
    if (regex && !replacement) {
        return make_error(std::string(kRenameRegexKey) + " is set but " + kRenameReplacementKey +
                          " is missing");
    }
    if (replacement && !regex) {
        return make_error(std::string(kRenameReplacementKey) + " is set but " + kRenameRegexKey +
                          " is missing");
    }
    if (regex) {
        auto compiled = JavaRegex::compile(*regex);
        if (!compiled) {
            return make_error(std::string(kRenameRegexKey) + ": " + compiled.error().message);
        }
        auto rename = JavaReplacement::compile(compiled.value(), *replacement);
        if (!rename) {
            return make_error(std::string(kRenameReplacementKey) + ": " + rename.error().message);
        }
        return std::unique_ptr<ReplicationPolicy>(RenameReplicationPolicy::with_regex(
            std::move(options), std::move(alias), std::move(rename).value()));
    }
    if (!affixes) {
        return make_error(std::string("RenameReplicationPolicy needs ") + kRenamePrefixKey +
                          " and/or " + kRenameSuffixKey + ", or " + kRenameRegexKey + " with " +
                          kRenameReplacementKey);
    }
    return std::unique_ptr<ReplicationPolicy>(RenameReplicationPolicy::with_affixes(
        std::move(options), std::move(alias), prefix, suffix));
}

} // namespace

Result<std::unique_ptr<ReplicationPolicy>>
make_replication_policy(const Properties& connector_config) {
    const std::string class_name(strings::trim(
        connector_config.get(kReplicationPolicyClassKey, std::string(kPolicyNames[0].name))));
    const PolicyName* chosen = nullptr;
    for (const auto& p : kPolicyNames) {
        if (p.name == class_name) {
            chosen = &p;
        }
    }
    if (chosen == nullptr) {
        return make_error(std::string(kReplicationPolicyClassKey) + ": unsupported class \"" +
                          class_name + "\"; kmirror accepts " + accepted_policy_names() +
                          " (use io.kmirror.RenameReplicationPolicy with " + kRenamePrefixKey +
                          ", " + kRenameSuffixKey + " or " + kRenameRegexKey +
                          " for custom naming)");
    }
    auto options = separator_options(connector_config);
    if (!options) {
        return options.error();
    }
    // Java hands the raw value to the policy; it is not trimmed there.
    std::optional<std::string> alias;
    if (const auto* a = connector_config.find(kSourceClusterAliasKey)) {
        alias = *a;
    }
    switch (chosen->kind) {
    case PolicyKind::Default:
        return std::unique_ptr<ReplicationPolicy>(
            std::make_unique<DefaultReplicationPolicy>(std::move(options).value()));
    case PolicyKind::Identity:
        return std::unique_ptr<ReplicationPolicy>(std::make_unique<IdentityReplicationPolicy>(
            std::move(options).value(), std::move(alias)));
    case PolicyKind::Rename:
        return make_rename_policy(connector_config, std::move(options).value(), std::move(alias));
    }
    return make_error("unreachable replication policy kind");
}

} // namespace kmirror::mirror
