#include "mirror/topic_sync.h"

#include "util/log.h"

namespace kmirror::mirror {

TopicSync::TopicSync(const config::MirrorSourceSettings& settings, const ReplicationPolicy& policy,
                     TopicFilter topic_filter, ConfigPropertyFilter config_filter,
                     kafka::Admin& source, kafka::Admin& target)
    : settings_(settings), policy_(policy), topic_filter_(std::move(topic_filter)),
      config_filter_(std::move(config_filter)), source_(source), target_(target) {}

void TopicSync::report_once(const std::string& key, const std::string& message) {
    ++last_errors_;
    auto& last = reported_[key];
    if (last != message) {
        log::error(message);
        last = message;
    }
}

std::map<std::string, std::string>
TopicSync::replicable_config(const std::vector<kafka::ConfigEntryInfo>& entries) const {
    std::map<std::string, std::string> out;
    for (const auto& e : entries) {
        if (e.is_read_only || e.is_sensitive || !e.value ||
            e.source == RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG ||
            !config_filter_.should_replicate_config_property(e.name)) {
            continue;
        }
        if (e.is_default && !config_filter_.should_replicate_source_default(e.name)) {
            continue;
        }
        out[e.name] = *e.value;
    }
    return out;
}

void TopicSync::ensure_internal_topic(kafka::Admin& admin, const std::string& topic,
                                      int replication_factor, std::chrono::milliseconds timeout) {
    kafka::NewTopicSpec spec{topic, 1, replication_factor, {{"cleanup.policy", "compact"}}};
    auto outcome = admin.create_topics({spec}, timeout);
    if (!outcome) {
        log::warn(outcome.error().message);
        return;
    }
    for (const auto& o : *outcome) {
        if (o.ok()) {
            log::info("cluster '" + admin.cluster() + "': created internal topic '" + topic + "'");
        } else if (o.code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS &&
                   o.code != RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED &&
                   o.code != RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED) {
            log::warn("cluster '" + admin.cluster() + "': cannot create internal topic '" + topic +
                      "': " + o.message);
        }
    }
}

Result<TopicMap> TopicSync::refresh() {
    last_errors_ = 0;
    auto source_topics = source_.list_topics(settings_.admin_timeout);
    if (!source_topics) {
        return source_topics.error();
    }
    auto target_topics = target_.list_topics(settings_.admin_timeout);
    if (!target_topics) {
        return target_topics.error();
    }
    std::map<std::string, std::pair<std::string, int>> wanted; // remote -> (source, partitions)
    for (const auto& [name, info] : *source_topics) {
        if (should_replicate_topic(topic_filter_, policy_, settings_.target_alias, name,
                                   settings_.heartbeats_replication_enabled)) {
            wanted[policy_.format_remote_topic(settings_.source_alias, name)] = {name,
                                                                                 info.partitions};
        }
    }

    std::vector<std::string> to_create_sources;
    std::map<std::string, int> to_grow;
    for (const auto& [remote, src] : wanted) {
        auto it = target_topics->find(remote);
        if (it == target_topics->end()) {
            to_create_sources.push_back(src.first);
        } else if (it->second.partitions < src.second) {
            to_grow[remote] = src.second;
        }
    }

    if (!to_create_sources.empty()) {
        auto configs = source_.describe_topic_configs(to_create_sources, settings_.admin_timeout);
        if (!configs) {
            return configs.error();
        }
        std::vector<kafka::NewTopicSpec> specs;
        for (const auto& name : to_create_sources) {
            kafka::NewTopicSpec spec;
            spec.name = policy_.format_remote_topic(settings_.source_alias, name);
            spec.partitions = source_topics->at(name).partitions;
            spec.replication_factor = settings_.replication_factor;
            if (auto c = configs->find(name); c != configs->end()) {
                for (auto& [k, v] : replicable_config(c->second)) {
                    spec.configs[k] = v;
                }
            }
            specs.push_back(std::move(spec));
        }
        auto outcome = target_.create_topics(specs, settings_.admin_timeout);
        if (!outcome) {
            return outcome.error();
        }
        for (const auto& o : *outcome) {
            if (o.ok()) {
                log::info("cluster '" + target_.cluster() + "': created topic '" + o.topic +
                          "' (replica of '" + wanted[o.topic].first + "' on cluster '" +
                          source_.cluster() + "', " + std::to_string(wanted[o.topic].second) +
                          " partitions)");
                (*target_topics)[o.topic] = kafka::TopicInfo{o.topic, wanted[o.topic].second};
            } else if (o.code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                (*target_topics)[o.topic] = kafka::TopicInfo{o.topic, wanted[o.topic].second};
            } else {
                report_once(o.topic, "cluster '" + target_.cluster() + "' topic '" + o.topic +
                                         "': cannot create the replica of '" +
                                         wanted[o.topic].first + "': " + o.message +
                                         "; other topics keep replicating");
            }
        }
    }

    if (!to_grow.empty()) {
        auto outcome = target_.create_partitions(to_grow, settings_.admin_timeout);
        if (!outcome) {
            return outcome.error();
        }
        for (const auto& o : *outcome) {
            if (o.ok() || o.code == RD_KAFKA_RESP_ERR_INVALID_PARTITIONS) {
                if (o.ok()) {
                    log::info("cluster '" + target_.cluster() + "' topic '" + o.topic +
                              "': partitions increased to " + std::to_string(to_grow[o.topic]));
                }
                (*target_topics)[o.topic].partitions = to_grow[o.topic];
            } else {
                report_once(o.topic, "cluster '" + target_.cluster() + "' topic '" + o.topic +
                                         "': has fewer partitions than its source '" +
                                         wanted[o.topic].first + "' and cannot grow to " +
                                         std::to_string(to_grow[o.topic]) + ": " + o.message +
                                         "; only the common partitions are replicated");
            }
        }
    }

    TopicMap out;
    for (const auto& [remote, src] : wanted) {
        auto it = target_topics->find(remote);
        if (it == target_topics->end()) {
            continue;
        }
        out[remote] = TopicMapping{src.first, std::min(src.second, it->second.partitions)};
        reported_.erase(remote);
    }
    return out;
}

void TopicSync::sync_configs(const TopicMap& topics) {
    if (topics.empty()) {
        return;
    }
    std::vector<std::string> sources;
    std::vector<std::string> remotes;
    for (const auto& [remote, mapping] : topics) {
        sources.push_back(mapping.source_topic);
        remotes.push_back(remote);
    }
    auto source_configs = source_.describe_topic_configs(sources, settings_.admin_timeout);
    auto target_configs = target_.describe_topic_configs(remotes, settings_.admin_timeout);
    if (!source_configs || !target_configs) {
        const auto& e = !source_configs ? source_configs.error() : target_configs.error();
        report_once("#config-sync", "topic config sync: " + e.message);
        return;
    }
    std::map<std::string, std::map<std::string, std::string>> changes;
    for (const auto& [remote, mapping] : topics) {
        auto s = source_configs->find(mapping.source_topic);
        auto t = target_configs->find(remote);
        if (s == source_configs->end() || t == target_configs->end()) {
            continue;
        }
        auto desired = replicable_config(s->second);
        std::map<std::string, std::string> current;
        for (const auto& e : t->second) {
            if (e.source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG && e.value) {
                current[e.name] = *e.value;
                // AlterConfigs replaces the whole set: keep target-only overrides of
                // properties that are never synced.
                if (!config_filter_.should_replicate_config_property(e.name)) {
                    desired[e.name] = *e.value;
                }
            }
        }
        if (desired != current) {
            changes[remote] = std::move(desired);
        }
    }
    if (changes.empty()) {
        return;
    }
    auto outcome = target_.alter_topic_configs(changes, settings_.admin_timeout);
    if (!outcome) {
        report_once("#config-sync", "topic config sync: " + outcome.error().message);
        return;
    }
    for (const auto& o : *outcome) {
        if (o.ok()) {
            log::info("cluster '" + target_.cluster() + "' topic '" + o.topic +
                      "': configuration synced from its source");
        } else {
            report_once(o.topic + "#config", "cluster '" + target_.cluster() + "' topic '" +
                                                 o.topic +
                                                 "': cannot sync configuration: " + o.message);
        }
    }
}

} // namespace kmirror::mirror
