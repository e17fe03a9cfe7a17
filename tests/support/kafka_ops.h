// Extra broker operations for integration tests (transactions, topic configs, partitions).
// Throw std::runtime_error on failure: a test that cannot set up must fail, never skip.
#pragma once

#include "kafka/admin.h"
#include "kafka/client.h"
#include "support/testbed.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::testing {

enum class TxnOutcome { commit, abort };

// Produces transactions of `count` records each to partition 0, committed or aborted in order.
// Record values are "txn-<i>-<j>".
void produce_transactions(const kafka::Settings& settings, const std::string& topic,
                          const std::vector<std::pair<TxnOutcome, int>>& transactions);

std::string topic_config(const kafka::Settings& settings, const std::string& topic,
                         const std::string& name);
void alter_topic_config(const kafka::Settings& settings, const std::string& topic,
                        const std::map<std::string, std::string>& configs);
void add_partitions(const kafka::Settings& settings, const std::string& topic, int total);

} // namespace kmirror::testing

namespace kmirror::testing {

// Deletes the records of `topic`/`partition` below `before_offset` (as retention would).
void delete_records_before(const kafka::Settings& settings, const std::string& topic,
                           int32_t partition, int64_t before_offset);

} // namespace kmirror::testing

namespace kmirror::testing {

// A loopback TCP port nothing listens on right now (for programs given a fixed port).
int free_loopback_port();

} // namespace kmirror::testing

namespace kmirror::testing {

// An admin client of `cluster` over PLAINTEXT.
kafka::Admin admin_for(const ClusterEndpoints& cluster);

// (topic, partition) -> offset.
using GroupOffsets = std::map<std::pair<std::string, int32_t>, int64_t>;

// Commits `offsets` for `group` on `cluster` with a consumer that never joins the group, each
// with the metadata "meta-<offset>". A fresh broker answers "coordinator load in progress" for a
// while: retried for up to 30 s.
void commit_group_offsets(const ClusterEndpoints& cluster, const std::string& group,
                          const GroupOffsets& offsets);

} // namespace kmirror::testing
