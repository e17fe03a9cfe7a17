#include "config/connector_config.h"

#include "config/values.h"
#include "kafka/client_config.h"
#include "util/strings.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace kmirror::config {
namespace {

constexpr std::array kKnownConnectorKeys = {
    // Connect's generic connector config
    "name", "connector.class", "tasks.max", "tasks.max.enforce", "key.converter", "value.converter",
    "header.converter", "transforms", "predicates", "config.action.reload", "errors.retry.timeout",
    "errors.retry.delay.max.ms", "errors.tolerance", "errors.log.enable",
    "errors.log.include.messages", "exactly.once.support", "transaction.boundary",
    "offsets.storage.topic",
    // MirrorConnectorConfig
    "enabled", "source.cluster.alias", "target.cluster.alias", "admin.timeout.ms",
    "replication.policy.class", "replication.policy.separator",
    "replication.policy.internal.topic.separator.enabled", "forwarding.admin.class",
    "metric.reporters", "security.protocol",
    // MirrorSourceConfig
    "topics", "topics.exclude", "config.properties.exclude", "use.defaults.from",
    "topic.filter.class", "config.property.filter.class", "consumer.poll.timeout.ms",
    "refresh.topics.enabled", "refresh.topics.interval.seconds", "sync.topic.configs.enabled",
    "sync.topic.configs.interval.seconds", "sync.topic.acls.enabled",
    "sync.topic.acls.interval.seconds", "replication.factor",
    "offset-syncs.topic.replication.factor", "offset.lag.max", "offset-syncs.topic.location",
    "emit.offset-syncs.enabled", "heartbeats.replication.enabled",
    // MirrorCheckpointConfig
    "groups", "groups.exclude", "group.filter.class", "refresh.groups.enabled",
    "refresh.groups.interval.seconds", "emit.checkpoints.enabled",
    "emit.checkpoints.interval.seconds", "sync.group.offsets.enabled",
    "sync.group.offsets.interval.seconds", "checkpoints.topic.replication.factor",
    // MirrorHeartbeatConfig
    "emit.heartbeats.enabled", "emit.heartbeats.interval.seconds",
    "heartbeats.topic.replication.factor",
    // Deprecated 3.x aliases still found in the wild
    "topics.blacklist", "groups.blacklist", "config.properties.blacklist",
    "use.incremental.alter.configs", "add.source.alias.to.metrics",
    // kmirror additions
    "offset.flush.interval.ms", "kmirror.progress.group.id", "kmirror.max.in.flight.bytes",
    "kmirror.mm2.offsets.topic", "kmirror.offset.runs.prune.interval.seconds",
    "kmirror.batch.forwarding",
    "kmirror.metrics.listener", // dedicated mode: /metrics and /health (src/app/observability.h)
};

// MM2 §2.4: `<cluster>.*` (client-config names only) → `<role>.*` → `<side>.<role>.*`.
Properties derive_client(const Properties& cfg, const std::string& cluster_prefix,
                         const std::string& role_prefix, const std::string& side_role_prefix,
                         std::vector<std::string>* notes) {
    Properties out;
    auto cluster = cfg.with_prefix_stripped(cluster_prefix);
    for (const auto& key : cluster.keys()) {
        if (is_mm2_client_config_name(key)) {
            out.set(key, cluster.get(key));
        } else if (notes != nullptr && key != "alias") {
            notes->push_back(cluster_prefix + key);
        }
    }
    for (const auto& prefix : {role_prefix, side_role_prefix}) {
        auto layer = cfg.with_prefix_stripped(prefix);
        for (const auto& key : layer.keys()) {
            if (is_known_connector_key(prefix + key) || strings::starts_with(key, "override.")) {
                // admin.timeout.ms is MM2's own setting; producer.override.* is Connect's
                // per-connector override of the replication producer (applied below).
                continue;
            }
            out.set(key, layer.get(key));
        }
    }
    return out;
}

bool has_known_prefix(const std::string& key) {
    for (const char* prefix : {"source.cluster.",
                               "target.cluster.",
                               "source.consumer.",
                               "source.producer.",
                               "source.admin.",
                               "target.consumer.",
                               "target.producer.",
                               "target.admin.",
                               "consumer.",
                               "producer.",
                               "admin.",
                               "replication.policy.",
                               "config.providers",
                               "transforms.",
                               "predicates.",
                               "key.converter.",
                               "value.converter.",
                               "header.converter.",
                               "offset-syncs.topic.",
                               "offset-syncs-",
                               "metric.reporters.",
                               "kmirror."}) {
        if (strings::starts_with(key, prefix)) {
            return true;
        }
    }
    return false;
}

} // namespace

bool is_mm2_client_config_name(const std::string& key) {
    return kafka::is_client_config_name(key);
}

bool is_known_connector_key(const std::string& key) {
    for (std::string_view k : kKnownConnectorKeys) {
        if (k == key) {
            return true;
        }
    }
    return false;
}

Result<MirrorSourceSettings> parse_mirror_source(const Properties& cfg) {
    MirrorSourceSettings s;
    s.raw = cfg;
    s.name = cfg.get("name", "MirrorSourceConnector");
    s.source_alias = std::string(strings::trim(cfg.get("source.cluster.alias")));
    if (s.source_alias.empty()) {
        return make_error("config 'source.cluster.alias' is required: the alias of the source "
                          "cluster (e.g. \"source\")");
    }
    s.target_alias = std::string(strings::trim(cfg.get("target.cluster.alias", "target")));
    if (s.target_alias.empty()) {
        return make_error("config 'target.cluster.alias': must not be empty");
    }
    if (s.source_alias == s.target_alias) {
        return make_error("config 'source.cluster.alias' and 'target.cluster.alias' are both '" +
                          s.source_alias + "': a flow needs two different clusters");
    }
    if (cfg.get("source.cluster.bootstrap.servers").empty()) {
        return make_error("config 'source.cluster.bootstrap.servers' is required: host:port "
                          "list of cluster '" +
                          s.source_alias + "'");
    }
    if (cfg.get("target.cluster.bootstrap.servers").empty()) {
        return make_error("config 'target.cluster.bootstrap.servers' is required: host:port "
                          "list of cluster '" +
                          s.target_alias + "'");
    }

    int64_t rf = s.replication_factor;
    int64_t lag = s.offset_lag_max;
    int64_t osrf = s.offset_syncs_replication_factor;
    int64_t admin_ms = s.admin_timeout.count();
    int64_t flush_ms = s.progress_commit_interval.count();
    int64_t inflight = s.max_in_flight_bytes;
    int64_t tasks = s.tasks_max;
    for (Status st : {
             get_bool(cfg, "enabled", s.enabled),
             get_int(cfg, "replication.factor", rf, -1, 32767),
             get_bool(cfg, "refresh.topics.enabled", s.refresh_topics_enabled),
             get_seconds(cfg, "refresh.topics.interval.seconds", s.refresh_topics_interval),
             get_bool(cfg, "sync.topic.configs.enabled", s.sync_topic_configs_enabled),
             get_seconds(cfg, "sync.topic.configs.interval.seconds", s.sync_topic_configs_interval),
             get_bool(cfg, "sync.topic.acls.enabled", s.sync_topic_acls_enabled),
             get_seconds(cfg, "sync.topic.acls.interval.seconds", s.sync_topic_acls_interval),
             get_bool(cfg, "emit.offset-syncs.enabled", s.emit_offset_syncs),
             get_int(cfg, "offset.lag.max", lag, 0, INT64_MAX),
             get_int(cfg, "offset-syncs.topic.replication.factor", osrf, -1, 32767),
             get_bool(cfg, "heartbeats.replication.enabled", s.heartbeats_replication_enabled),
             get_int(cfg, "admin.timeout.ms", admin_ms, 1, INT32_MAX),
             get_int(cfg, "offset.flush.interval.ms", flush_ms, 10, INT32_MAX),
             get_int(cfg, "kmirror.max.in.flight.bytes", inflight, 1 << 20, 1LL << 40),
             get_int(cfg, "tasks.max", tasks, 1, INT32_MAX),
             get_bool(cfg, "kmirror.batch.forwarding", s.batch_forwarding),
         }) {
        if (!st) {
            return st.error();
        }
    }
    if (rf == 0) {
        return make_error("config 'replication.factor': expected -1 (broker default) or a "
                          "positive number, got 0");
    }
    s.replication_factor = static_cast<int>(rf);
    s.offset_lag_max = lag;
    s.offset_syncs_replication_factor = static_cast<int>(osrf);
    s.admin_timeout = std::chrono::milliseconds(admin_ms);
    s.progress_commit_interval = std::chrono::milliseconds(flush_ms);
    s.max_in_flight_bytes = inflight;
    s.tasks_max = static_cast<int>(tasks);

    const std::string location = cfg.get("offset-syncs.topic.location", "source");
    if (location == "source") {
        s.offset_syncs_location = OffsetSyncsLocation::source;
    } else if (location == "target") {
        s.offset_syncs_location = OffsetSyncsLocation::target;
    } else {
        return make_error("config 'offset-syncs.topic.location': expected 'source' or 'target', "
                          "got '" +
                          location + "'");
    }

    s.progress_group = cfg.get("kmirror.progress.group.id",
                               "kmirror-" + s.source_alias + "-" + s.target_alias + "-" + s.name);
    // MM2's source offsets (Connect's offsets topic); the default is dedicated mode's.
    s.mm2_offsets_topic = std::string(strings::trim(
        cfg.get("kmirror.mm2.offsets.topic", "mm2-offsets." + s.source_alias + ".internal")));
    if (s.mm2_offsets_topic.empty()) {
        return make_error("config 'kmirror.mm2.offsets.topic': must name a topic on the target "
                          "cluster (MirrorMaker 2's offsets topic), got an empty value");
    }

    s.source_consumer =
        derive_client(cfg, "source.cluster.", "consumer.", "source.consumer.", &s.notes);
    s.source_admin = derive_client(cfg, "source.cluster.", "admin.", "source.admin.", nullptr);
    s.source_producer =
        derive_client(cfg, "source.cluster.", "producer.", "source.producer.", nullptr);
    s.target_producer =
        derive_client(cfg, "target.cluster.", "producer.", "target.producer.", &s.notes);
    // Connect's per-connector producer overrides apply to the replicated-records producer.
    auto overrides = cfg.with_prefix_stripped("producer.override.");
    for (const auto& key : overrides.keys()) {
        s.target_producer.set(key, overrides.get(key));
    }
    s.target_admin = derive_client(cfg, "target.cluster.", "admin.", "target.admin.", nullptr);
    s.target_consumer =
        derive_client(cfg, "target.cluster.", "consumer.", "target.consumer.", nullptr);
    // MM2 forces these on its source consumer.
    s.source_consumer.set("enable.auto.commit", "false");
    const std::string reset = strings::to_lower(s.source_consumer.get("auto.offset.reset"));
    if (reset.empty()) {
        s.source_consumer.set("auto.offset.reset", "earliest");
    } else if (reset == "latest") {
        s.start_position = StartPosition::latest;
    } else if (reset != "earliest") {
        return make_error("config 'consumer.auto.offset.reset': kmirror starts new partitions at "
                          "'earliest' or 'latest', got '" +
                          reset + "'");
    }
    // Keys no connector defines are reported, never silently dropped.
    for (const auto& key : cfg.keys()) {
        if (!is_known_connector_key(key) && !is_mm2_client_config_name(key) &&
            !has_known_prefix(key)) {
            s.notes.push_back(key);
        }
    }
    // De-duplicate notes (the same cluster key can be noted for several roles).
    std::vector<std::string> unique;
    for (auto& n : s.notes) {
        if (std::find(unique.begin(), unique.end(), n) == unique.end()) {
            unique.push_back(n);
        }
    }
    s.notes = std::move(unique);
    return s;
}

} // namespace kmirror::config
