// Typed views of MirrorCheckpointConnector and MirrorHeartbeatConnector configurations (mm2.md
// §1.2, §1.3, §2.3), from the flat key/value map a connector receives -- built by
// build_dedicated_config in dedicated mode, or given as connector JSON to the REST worker.
// Client settings stay in Java names here (MM2's prefix rules, §2.4); kafka/client_config.h
// translates them.
#pragma once

#include "config/connector_config.h"
#include "util/properties.h"
#include "util/result.h"

#include <chrono>
#include <string>
#include <vector>

namespace kmirror::config {

struct MirrorCheckpointSettings {
    std::string name; // connector name
    std::string source_alias;
    std::string target_alias;
    bool enabled = true;
    Properties raw; // the whole connector config, for policy and filter factories

    bool emit_checkpoints_enabled = true;
    std::chrono::seconds emit_checkpoints_interval{60};
    bool sync_group_offsets_enabled = false;
    std::chrono::seconds sync_group_offsets_interval{60};
    bool refresh_groups_enabled = true;
    std::chrono::seconds refresh_groups_interval{600};
    int checkpoints_replication_factor = 3;
    OffsetSyncsLocation offset_syncs_location = OffsetSyncsLocation::source;
    bool emit_offset_syncs = true; // false: MM2 refuses to run the checkpoint connector
    std::chrono::milliseconds consumer_poll_timeout{1000};
    std::chrono::milliseconds admin_timeout{60000};
    // kmirror.offset.runs.prune.interval.seconds: how often offset runs below the source log
    // start are forgotten (and tombstoned in the offset runs topic).
    std::chrono::seconds offset_runs_prune_interval{300};

    // Java-named client settings, MM2 precedence already applied.
    Properties source_consumer; // offset syncs when location=source; tail checks
    Properties source_admin;    // groups and their committed offsets
    Properties target_consumer; // offset syncs when location=target; checkpoints; leader group
    Properties target_producer; // checkpoints
    Properties target_admin;    // internal topics, target groups
};

struct MirrorHeartbeatSettings {
    std::string name;
    std::string source_alias;
    std::string target_alias;
    Properties raw;

    bool emit_heartbeats_enabled = true;
    std::chrono::seconds emit_heartbeats_interval{1};
    int heartbeats_replication_factor = 3;
    std::chrono::milliseconds admin_timeout{60000};

    Properties target_producer;
    Properties target_admin;
    Properties target_consumer; // leader group
};

// Parse and validate; errors name the key and what is expected.
Result<MirrorCheckpointSettings> parse_mirror_checkpoint(const Properties& connector_config);
Result<MirrorHeartbeatSettings> parse_mirror_heartbeat(const Properties& connector_config);

} // namespace kmirror::config
