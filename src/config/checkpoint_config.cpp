#include "config/checkpoint_config.h"

#include "config/values.h"
#include "util/strings.h"

#include <cstdint>

namespace kmirror::config {
namespace {

Status get_rf(const Properties& p, const std::string& key, int& out) {
    int64_t v = out;
    if (auto s = get_int(p, key, v, -1, 32767); !s) {
        return s;
    }
    if (v == 0) {
        return make_error("config '" + key +
                          "': expected -1 (broker default) or a positive number, got 0");
    }
    out = static_cast<int>(v);
    return {};
}

// MM2 §2.4: `<cluster>.*` (client-config names only) -> `<role>.*` -> `<side>.<role>.*`.
Properties derive_client(const Properties& cfg, const std::string& cluster_prefix,
                         const std::string& role_prefix, const std::string& side_role_prefix) {
    Properties out;
    auto cluster = cfg.with_prefix_stripped(cluster_prefix);
    for (const auto& key : cluster.keys()) {
        if (is_mm2_client_config_name(key)) {
            out.set(key, cluster.get(key));
        }
    }
    for (const auto& prefix : {role_prefix, side_role_prefix}) {
        auto layer = cfg.with_prefix_stripped(prefix);
        for (const auto& key : layer.keys()) {
            if (!is_known_connector_key(prefix + key)) {
                out.set(key, layer.get(key));
            }
        }
    }
    return out;
}

// Aliases and bootstrap servers, common to both connectors.
Status parse_identity(const Properties& cfg, std::string& source, std::string& target) {
    source = std::string(strings::trim(cfg.get("source.cluster.alias")));
    if (source.empty()) {
        return make_error("config 'source.cluster.alias' is required: the alias of the source "
                          "cluster (e.g. \"source\")");
    }
    target = std::string(strings::trim(cfg.get("target.cluster.alias", "target")));
    if (target.empty()) {
        return make_error("config 'target.cluster.alias': must not be empty");
    }
    if (source == target) {
        return make_error("config 'source.cluster.alias' and 'target.cluster.alias' are both '" +
                          source + "': a flow needs two different clusters");
    }
    if (cfg.get("target.cluster.bootstrap.servers").empty()) {
        return make_error("config 'target.cluster.bootstrap.servers' is required: host:port "
                          "list of cluster '" +
                          target + "'");
    }
    return {};
}

} // namespace

Result<MirrorCheckpointSettings> parse_mirror_checkpoint(const Properties& cfg) {
    MirrorCheckpointSettings s;
    s.raw = cfg;
    s.name = cfg.get("name", "MirrorCheckpointConnector");
    if (auto st = parse_identity(cfg, s.source_alias, s.target_alias); !st) {
        return st.error();
    }
    if (cfg.get("source.cluster.bootstrap.servers").empty()) {
        return make_error("config 'source.cluster.bootstrap.servers' is required: host:port "
                          "list of cluster '" +
                          s.source_alias + "'");
    }
    int64_t poll_ms = s.consumer_poll_timeout.count();
    int64_t admin_ms = s.admin_timeout.count();
    for (Status st : {
             get_bool(cfg, "enabled", s.enabled),
             get_bool(cfg, "emit.checkpoints.enabled", s.emit_checkpoints_enabled),
             get_seconds(cfg, "emit.checkpoints.interval.seconds", s.emit_checkpoints_interval, 1),
             get_bool(cfg, "sync.group.offsets.enabled", s.sync_group_offsets_enabled),
             get_seconds(cfg, "sync.group.offsets.interval.seconds", s.sync_group_offsets_interval,
                         1),
             get_bool(cfg, "refresh.groups.enabled", s.refresh_groups_enabled),
             get_seconds(cfg, "refresh.groups.interval.seconds", s.refresh_groups_interval, 1),
             get_rf(cfg, "checkpoints.topic.replication.factor", s.checkpoints_replication_factor),
             get_bool(cfg, "emit.offset-syncs.enabled", s.emit_offset_syncs),
             get_int(cfg, "consumer.poll.timeout.ms", poll_ms, 1, INT32_MAX),
             get_int(cfg, "admin.timeout.ms", admin_ms, 1, INT32_MAX),
             get_seconds(cfg, "kmirror.offset.runs.prune.interval.seconds",
                         s.offset_runs_prune_interval, 1),
         }) {
        if (!st) {
            return st.error();
        }
    }
    s.consumer_poll_timeout = std::chrono::milliseconds(poll_ms);
    s.admin_timeout = std::chrono::milliseconds(admin_ms);
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
    s.source_consumer = derive_client(cfg, "source.cluster.", "consumer.", "source.consumer.");
    s.source_admin = derive_client(cfg, "source.cluster.", "admin.", "source.admin.");
    s.target_consumer = derive_client(cfg, "target.cluster.", "consumer.", "target.consumer.");
    s.target_producer = derive_client(cfg, "target.cluster.", "producer.", "target.producer.");
    s.target_admin = derive_client(cfg, "target.cluster.", "admin.", "target.admin.");
    return s;
}

Result<MirrorHeartbeatSettings> parse_mirror_heartbeat(const Properties& cfg) {
    MirrorHeartbeatSettings s;
    s.raw = cfg;
    s.name = cfg.get("name", "MirrorHeartbeatConnector");
    if (auto st = parse_identity(cfg, s.source_alias, s.target_alias); !st) {
        return st.error();
    }
    int64_t admin_ms = s.admin_timeout.count();
    for (Status st : {
             get_bool(cfg, "emit.heartbeats.enabled", s.emit_heartbeats_enabled),
             get_seconds(cfg, "emit.heartbeats.interval.seconds", s.emit_heartbeats_interval, 1),
             get_rf(cfg, "heartbeats.topic.replication.factor", s.heartbeats_replication_factor),
             get_int(cfg, "admin.timeout.ms", admin_ms, 1, INT32_MAX),
         }) {
        if (!st) {
            return st.error();
        }
    }
    s.admin_timeout = std::chrono::milliseconds(admin_ms);
    s.target_producer = derive_client(cfg, "target.cluster.", "producer.", "target.producer.");
    s.target_admin = derive_client(cfg, "target.cluster.", "admin.", "target.admin.");
    s.target_consumer = derive_client(cfg, "target.cluster.", "consumer.", "target.consumer.");
    return s;
}

} // namespace kmirror::config
