// How MM2 names topics across clusters (spec §3): remote topic names, recognising where a topic
// came from, and the names of MM2's internal topics. Same semantics as Apache Kafka's
// ReplicationPolicy interface so that topics and checkpoints written by Java MM2 are understood.
#pragma once

#include "mirror/java_regex.h"
#include "util/properties.h"
#include "util/result.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kmirror::mirror {

// Thread rules: every implementation is immutable after construction; all members are const and
// may be called from any thread concurrently.
class ReplicationPolicy {
public:
    virtual ~ReplicationPolicy() = default;

    // Name on the target of `topic` replicated from the cluster `source_alias`.
    virtual std::string format_remote_topic(std::string_view source_alias,
                                            std::string_view topic) const = 0;
    // Alias of the cluster `topic` was replicated from; nullopt if it is not a remote topic.
    virtual std::optional<std::string> topic_source(std::string_view topic) const = 0;
    // The topic's name one hop upstream; nullopt if it is not a remote topic.
    virtual std::optional<std::string> upstream_topic(std::string_view topic) const = 0;
    // Follows upstream_topic until it yields nullopt or the same name.
    virtual std::string original_topic(std::string_view topic) const;

    virtual std::string heartbeats_topic() const;
    virtual std::string offset_syncs_topic(std::string_view cluster_alias) const;
    virtual std::string checkpoints_topic(std::string_view cluster_alias) const;
    // heartbeats, A.heartbeats, B.A.heartbeats, ...
    virtual bool is_heartbeats_topic(std::string_view topic) const;
    virtual bool is_checkpoints_topic(std::string_view topic) const;
    virtual bool is_mm2_internal_topic(std::string_view topic) const;
    // MM2's own topics, plus Kafka's (__*, .*) and Connect's (*-internal, *.internal).
    virtual bool is_internal_topic(std::string_view topic) const;

protected:
    ReplicationPolicy() = default;
    ReplicationPolicy(const ReplicationPolicy&) = default;
    ReplicationPolicy& operator=(const ReplicationPolicy&) = default;
};

// `replication.policy.separator` and `replication.policy.internal.topic.separator.enabled`.
struct SeparatorOptions {
    std::string separator = ".";
    // false keeps the pre-3.1 "." in offset-syncs/checkpoints topic names with a custom separator.
    bool internal_topic_separator_enabled = true;
};

// `A.topic` on the target for `topic` from A. Thread rules: see ReplicationPolicy.
class DefaultReplicationPolicy : public ReplicationPolicy {
public:
    explicit DefaultReplicationPolicy(SeparatorOptions options = {});

    std::string format_remote_topic(std::string_view source_alias,
                                    std::string_view topic) const override;
    // Splits like Java's Pattern.split on the literal separator: a leading empty part is kept
    // (".t" -> ""), trailing empty parts are dropped ("A." -> nullopt).
    std::optional<std::string> topic_source(std::string_view topic) const override;
    std::optional<std::string> upstream_topic(std::string_view topic) const override;

    std::string offset_syncs_topic(std::string_view cluster_alias) const override;
    std::string checkpoints_topic(std::string_view cluster_alias) const override;
    bool is_checkpoints_topic(std::string_view topic) const override;
    bool is_mm2_internal_topic(std::string_view topic) const override;

    const std::string& separator() const { return separator_; }

private:
    std::string separator_;
    std::string internal_separator_;
};

// Keeps topic names (`topic` on the target for `topic` from A). Topics whose name ends with
// "heartbeats" are still named the Default way (A.heartbeats) so that heartbeats from several
// clusters do not collide. Because a topic's upstream is itself, cycle detection cannot work:
// active/active setups must break loops with topic filters.
// Thread rules: see ReplicationPolicy.
class IdentityReplicationPolicy : public DefaultReplicationPolicy {
public:
    IdentityReplicationPolicy(SeparatorOptions options, std::optional<std::string> source_alias);

    std::string format_remote_topic(std::string_view source_alias,
                                    std::string_view topic) const override;
    // The configured source.cluster.alias (nullopt if unset) for every non-heartbeat topic.
    std::optional<std::string> topic_source(std::string_view topic) const override;
    std::optional<std::string> upstream_topic(std::string_view topic) const override;

private:
    std::optional<std::string> source_alias_;
};

// kmirror's configurable renaming, so that nobody has to write a Java class:
//  * prefix/suffix: `orders` -> prefix + "orders" + suffix. Reversible: a name carrying both the
//    prefix and the suffix (around a non-empty middle) is a remote topic from the configured
//    source.cluster.alias whose upstream name is the middle. Because the affixes do not name the
//    cluster, isCycle can only stop at a topic that has lost its affixes; it cannot tell that a
//    renamed topic came from the target, so active/active setups should exclude renamed topics
//    with topics.exclude.
//  * regex + replacement: a name the regex wholly matches becomes the replacement (Java $n and
//    ${name} group references); other names are kept. A regex rename cannot be inverted, so the
//    reverse mapping behaves like Identity (topic_source = source.cluster.alias, upstream = the
//    topic itself) and cycle detection is unavailable.
// Topics whose name ends with "heartbeats" are named the Default way in both modes, as in
// Identity. Thread rules: see ReplicationPolicy.
class RenameReplicationPolicy : public DefaultReplicationPolicy {
public:
    static std::unique_ptr<RenameReplicationPolicy>
    with_affixes(SeparatorOptions options, std::optional<std::string> source_alias,
                 std::string prefix, std::string suffix);
    static std::unique_ptr<RenameReplicationPolicy>
    with_regex(SeparatorOptions options, std::optional<std::string> source_alias,
               JavaReplacement rename);

    std::string format_remote_topic(std::string_view source_alias,
                                    std::string_view topic) const override;
    std::optional<std::string> topic_source(std::string_view topic) const override;
    std::optional<std::string> upstream_topic(std::string_view topic) const override;

private:
    RenameReplicationPolicy(SeparatorOptions options, std::optional<std::string> source_alias,
                            std::string prefix, std::string suffix,
                            std::optional<JavaReplacement> rename);
    bool has_affixes(std::string_view topic) const;

    std::optional<std::string> source_alias_;
    std::string prefix_;
    std::string suffix_;
    std::optional<JavaReplacement> rename_;
};

// Config keys read by make_replication_policy.
inline constexpr const char* kReplicationPolicyClassKey = "replication.policy.class";
inline constexpr const char* kReplicationPolicySeparatorKey = "replication.policy.separator";
inline constexpr const char* kInternalTopicSeparatorEnabledKey =
    "replication.policy.internal.topic.separator.enabled";
inline constexpr const char* kSourceClusterAliasKey = "source.cluster.alias";
inline constexpr const char* kRenamePrefixKey = "replication.policy.rename.prefix";
inline constexpr const char* kRenameSuffixKey = "replication.policy.rename.suffix";
inline constexpr const char* kRenameRegexKey = "replication.policy.rename.regex";
inline constexpr const char* kRenameReplacementKey = "replication.policy.rename.replacement";

// Builds the policy a connector config asks for. replication.policy.class accepts (full or short
// name) org.apache.kafka.connect.mirror.DefaultReplicationPolicy (the default),
// org.apache.kafka.connect.mirror.IdentityReplicationPolicy, io.kmirror.RenameReplicationPolicy,
// and com.amazonaws.kafka.samples.CustomMM2ReplicationPolicy (keeps topic names: Identity).
// Like Java, the separator keys are read only when present, and the separator is not trimmed.
Result<std::unique_ptr<ReplicationPolicy>>
make_replication_policy(const Properties& connector_config);

} // namespace kmirror::mirror
