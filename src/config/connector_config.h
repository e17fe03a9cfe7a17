// Typed view of a MirrorSourceConnector configuration (the flat key/value map a connector
// receives, whether it came from mm2.properties in dedicated mode or from a connector JSON
// over REST). Client settings are derived with MM2's prefix rules (mm2.md §2.4) and stay in
// Java names here; kafka/client_config.h translates them to librdkafka names.
#pragma once

#include "util/properties.h"
#include "util/result.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kmirror::config {

enum class OffsetSyncsLocation { source, target };
enum class StartPosition { earliest, latest };

struct MirrorSourceSettings {
    std::string name; // connector name
    std::string source_alias;
    std::string target_alias;
    bool enabled = true;
    Properties raw; // the whole connector config, for policy and filter factories

    int replication_factor = 2;
    bool refresh_topics_enabled = true;
    std::chrono::seconds refresh_topics_interval{600};
    bool sync_topic_configs_enabled = true;
    std::chrono::seconds sync_topic_configs_interval{600};
    bool sync_topic_acls_enabled = true;
    std::chrono::seconds sync_topic_acls_interval{600};
    OffsetSyncsLocation offset_syncs_location = OffsetSyncsLocation::source;
    bool emit_offset_syncs = true;
    int64_t offset_lag_max = 100;
    int offset_syncs_replication_factor = 3;
    bool heartbeats_replication_enabled = true;
    std::chrono::milliseconds admin_timeout{60000};

    // kmirror additions (documented in docs/configuration.md).
    std::chrono::milliseconds progress_commit_interval{1000}; // offset.flush.interval.ms
    std::string progress_group;                               // kmirror.progress.group.id
    StartPosition start_position = StartPosition::earliest;   // from consumer auto.offset.reset
    int64_t max_in_flight_bytes = 64LL << 20;                 // kmirror.max.in.flight.bytes
    // tasks.max: MM2 runs that many tasks, each with its own producer; kmirror's task uses that
    // many producer connections to the target (at most kMaxProducers), see source_task.cpp.
    int tasks_max = 1;
    std::string mm2_offsets_topic; // kmirror.mm2.offsets.topic: MM2's progress, read at take-over
    // kmirror.batch.forwarding: copy fetched record batches as they are where possible
    // (mirror/batch_forwarder.h); plaintext connections only.
    bool batch_forwarding = true;

    // Java-named client settings, MM2 precedence already applied.
    Properties source_consumer;
    Properties source_admin;
    Properties source_producer; // offset-syncs writer when location=source
    Properties target_producer; // replicated records (Connect's worker producer + overrides)
    Properties target_admin;
    Properties target_consumer; // progress group membership

    // Keys given in a place where MM2 does not apply them (e.g. source.cluster.max.poll.records).
    std::vector<std::string> notes;
};

// Parses and validates; errors name the key and what is expected.
Result<MirrorSourceSettings> parse_mirror_source(const Properties& connector_config);

// The Java client-config names MM2 takes from source.cluster.* / target.cluster.*.
bool is_mm2_client_config_name(const std::string& key);

// Every key the three MM2 connectors (and Connect's generic connector config) define.
bool is_known_connector_key(const std::string& key);

} // namespace kmirror::config
