#include "kafka/admin.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace kmirror::kafka {
namespace {

// Runs one admin request and waits for its result event on a private queue.
template <typename Launch>
Result<EventPtr> run_admin(rd_kafka_t* rk, rd_kafka_admin_op_t op,
                           std::chrono::milliseconds timeout, const std::string& what,
                           Launch&& launch) {
    rd_kafka_poll(rk, 0); // serves queued error callbacks (Admin::last_connection_error)
    QueuePtr queue(rd_kafka_queue_new(rk));
    AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(options.get(), to_ms(timeout), errstr, sizeof errstr);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
        rd_kafka_AdminOptions_set_operation_timeout(options.get(), to_ms(timeout), errstr,
                                                    sizeof errstr);
    }
    launch(options.get(), queue.get());
    EventPtr event(rd_kafka_queue_poll(queue.get(), to_ms(timeout) + 1000));
    if (!event) {
        return make_error(what + ": no answer within " + std::to_string(timeout.count()) + " ms");
    }
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error(what + ": " + rd_kafka_event_error_string(event.get()));
    }
    return event;
}

std::vector<TopicOutcome> topic_outcomes(const rd_kafka_topic_result_t** results, size_t count) {
    std::vector<TopicOutcome> out;
    for (size_t i = 0; i < count; ++i) {
        TopicOutcome o;
        o.topic = rd_kafka_topic_result_name(results[i]);
        o.code = rd_kafka_topic_result_error(results[i]);
        if (o.code != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* msg = rd_kafka_topic_result_error_string(results[i]);
            o.message = msg ? msg : rd_kafka_err2str(o.code);
        }
        out.push_back(std::move(o));
    }
    return out;
}

} // namespace

struct Admin::ErrorTrace {
    std::mutex mutex;
    std::string last;
};

namespace {

void trace_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    (void)rk;
    if (opaque == nullptr || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || reason == nullptr) {
        return;
    }
    auto* trace = static_cast<Admin::ErrorTrace*>(opaque);
    std::lock_guard lock(trace->mutex);
    trace->last = reason;
}

} // namespace

Result<Admin> Admin::create(const ClientSpec& spec) {
    auto conf = make_conf(spec);
    if (!conf) {
        return conf.error();
    }
    auto errors = std::make_shared<ErrorTrace>();
    rd_kafka_conf_set_opaque(conf->get(), errors.get());
    rd_kafka_conf_set_error_cb(conf->get(), trace_error);
    auto handle = make_client(ClientType::producer, std::move(conf).value(), spec);
    if (!handle) {
        return handle.error();
    }
    return Admin(spec.cluster, std::move(handle).value(), spec, std::move(errors));
}

std::string Admin::last_connection_error() const {
    if (!errors_) {
        return {};
    }
    rd_kafka_poll(handle_.get(), 0); // serves the error callback (librdkafka's main queue)
    std::lock_guard lock(errors_->mutex);
    return errors_->last;
}

std::string Admin::cause() const {
    const auto last = last_connection_error();
    return last.empty() ? std::string() : " (last error: " + last + ")";
}

Result<std::map<std::string, TopicInfo>>
Admin::list_topics(std::chrono::milliseconds timeout) const {
    rd_kafka_poll(handle_.get(), 0); // drains queued error events (see last_connection_error)
    const rd_kafka_metadata_t* raw = nullptr;
    auto err = rd_kafka_metadata(handle_.get(), 1, nullptr, &raw, to_ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error("cluster '" + cluster_ +
                          "': cannot list topics: " + rd_kafka_err2str(err) + cause());
    }
    MetadataPtr md(raw);
    std::map<std::string, TopicInfo> out;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue; // topic being deleted or not authorized: not listed
        }
        out[t.topic] = TopicInfo{t.topic, t.partition_cnt};
    }
    return out;
}

Result<std::vector<TopicOutcome>> Admin::create_topics(const std::vector<NewTopicSpec>& topics,
                                                       std::chrono::milliseconds timeout) const {
    if (topics.empty()) {
        return std::vector<TopicOutcome>{};
    }
    std::vector<NewTopicPtr> owned;
    std::vector<rd_kafka_NewTopic_t*> raw;
    char errstr[256];
    for (const auto& spec : topics) {
        NewTopicPtr nt(rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                             spec.replication_factor, errstr, sizeof errstr));
        if (!nt) {
            return make_error("cluster '" + cluster_ + "': cannot create topic '" + spec.name +
                              "': " + errstr);
        }
        for (const auto& [k, v] : spec.configs) {
            rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str());
        }
        raw.push_back(nt.get());
        owned.push_back(std::move(nt));
    }
    auto event =
        run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout,
                  "cluster '" + cluster_ + "': create topics",
                  [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                      rd_kafka_CreateTopics(handle_.get(), raw.data(), raw.size(), opts, q);
                  });
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_CreateTopics_result(event->get());
    size_t count = 0;
    const auto** results = rd_kafka_CreateTopics_result_topics(result, &count);
    return topic_outcomes(results, count);
}

Result<std::vector<TopicOutcome>>
Admin::create_partitions(const std::map<std::string, int>& new_totals,
                         std::chrono::milliseconds timeout) const {
    if (new_totals.empty()) {
        return std::vector<TopicOutcome>{};
    }
    std::vector<rd_kafka_NewPartitions_t*> raw;
    char errstr[256];
    for (const auto& [topic, total] : new_totals) {
        raw.push_back(rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), errstr,
                                                 sizeof errstr));
    }
    auto event =
        run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout,
                  "cluster '" + cluster_ + "': create partitions",
                  [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                      rd_kafka_CreatePartitions(handle_.get(), raw.data(), raw.size(), opts, q);
                  });
    rd_kafka_NewPartitions_destroy_array(raw.data(), raw.size());
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_CreatePartitions_result(event->get());
    size_t count = 0;
    const auto** results = rd_kafka_CreatePartitions_result_topics(result, &count);
    return topic_outcomes(results, count);
}

Result<std::map<std::string, std::vector<ConfigEntryInfo>>>
Admin::describe_topic_configs(const std::vector<std::string>& topics,
                              std::chrono::milliseconds timeout) const {
    std::map<std::string, std::vector<ConfigEntryInfo>> out;
    if (topics.empty()) {
        return out;
    }
    std::vector<ConfigResourcePtr> owned;
    std::vector<rd_kafka_ConfigResource_t*> raw;
    for (const auto& t : topics) {
        owned.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, t.c_str()));
        raw.push_back(owned.back().get());
    }
    auto event =
        run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout,
                  "cluster '" + cluster_ + "': describe topic configs",
                  [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                      rd_kafka_DescribeConfigs(handle_.get(), raw.data(), raw.size(), opts, q);
                  });
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_DescribeConfigs_result(event->get());
    size_t count = 0;
    const auto** resources = rd_kafka_DescribeConfigs_result_resources(result, &count);
    for (size_t i = 0; i < count; ++i) {
        const auto* res = resources[i];
        if (rd_kafka_ConfigResource_error(res) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }
        auto& entries = out[rd_kafka_ConfigResource_name(res)];
        size_t n = 0;
        const auto** configs = rd_kafka_ConfigResource_configs(res, &n);
        for (size_t j = 0; j < n; ++j) {
            ConfigEntryInfo e;
            e.name = rd_kafka_ConfigEntry_name(configs[j]);
            if (const char* v = rd_kafka_ConfigEntry_value(configs[j])) {
                e.value = v;
            }
            e.is_default = rd_kafka_ConfigEntry_is_default(configs[j]) != 0;
            e.is_read_only = rd_kafka_ConfigEntry_is_read_only(configs[j]) != 0;
            e.is_sensitive = rd_kafka_ConfigEntry_is_sensitive(configs[j]) != 0;
            e.source = rd_kafka_ConfigEntry_source(configs[j]);
            entries.push_back(std::move(e));
        }
    }
    return out;
}

Result<std::vector<TopicOutcome>>
Admin::alter_topic_configs(const std::map<std::string, std::map<std::string, std::string>>& configs,
                           std::chrono::milliseconds timeout) const {
    std::vector<TopicOutcome> out;
    if (configs.empty()) {
        return out;
    }
    std::vector<ConfigResourcePtr> owned;
    std::vector<rd_kafka_ConfigResource_t*> raw;
    for (const auto& [topic, entries] : configs) {
        owned.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
        for (const auto& [k, v] : entries) {
            rd_kafka_ConfigResource_set_config(owned.back().get(), k.c_str(), v.c_str());
        }
        raw.push_back(owned.back().get());
    }
    auto event =
        run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout,
                  "cluster '" + cluster_ + "': alter topic configs",
                  [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                      rd_kafka_AlterConfigs(handle_.get(), raw.data(), raw.size(), opts, q);
                  });
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_AlterConfigs_result(event->get());
    size_t count = 0;
    const auto** resources = rd_kafka_AlterConfigs_result_resources(result, &count);
    for (size_t i = 0; i < count; ++i) {
        TopicOutcome o;
        o.topic = rd_kafka_ConfigResource_name(resources[i]);
        o.code = rd_kafka_ConfigResource_error(resources[i]);
        if (o.code != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* msg = rd_kafka_ConfigResource_error_string(resources[i]);
            o.message = msg ? msg : rd_kafka_err2str(o.code);
        }
        out.push_back(std::move(o));
    }
    return out;
}

Result<std::pair<int64_t, int64_t>> Admin::watermarks(const std::string& topic, int32_t partition,
                                                      std::chrono::milliseconds timeout) const {
    int64_t low = 0;
    int64_t high = 0;
    auto err = rd_kafka_query_watermark_offsets(handle_.get(), topic.c_str(), partition, &low,
                                                &high, to_ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error("cluster '" + cluster_ + "' topic '" + topic + "' partition " +
                          std::to_string(partition) +
                          ": cannot read offsets: " + rd_kafka_err2str(err));
    }
    return std::make_pair(low, high);
}

Result<std::vector<GroupListing>>
Admin::list_consumer_groups(std::chrono::milliseconds timeout) const {
    auto event = run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout,
                           "cluster '" + cluster_ + "': list consumer groups",
                           [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                               rd_kafka_ListConsumerGroups(handle_.get(), opts, q);
                           });
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_ListConsumerGroups_result(event->get());
    size_t count = 0;
    const auto** listings = rd_kafka_ListConsumerGroups_result_valid(result, &count);
    std::vector<GroupListing> out;
    for (size_t i = 0; i < count; ++i) {
        out.push_back(
            GroupListing{rd_kafka_ConsumerGroupListing_group_id(listings[i]),
                         rd_kafka_ConsumerGroupListing_is_simple_consumer_group(listings[i]) != 0,
                         rd_kafka_ConsumerGroupListing_state(listings[i])});
    }
    return out;
}

Result<std::map<std::string, GroupDescription>>
Admin::describe_consumer_groups(const std::vector<std::string>& groups,
                                std::chrono::milliseconds timeout) const {
    std::map<std::string, GroupDescription> out;
    if (groups.empty()) {
        return out;
    }
    std::vector<const char*> names;
    names.reserve(groups.size());
    for (const auto& g : groups) {
        names.push_back(g.c_str());
    }
    auto event = run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout,
                           "cluster '" + cluster_ + "': describe consumer groups",
                           [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                               rd_kafka_DescribeConsumerGroups(handle_.get(), names.data(),
                                                               names.size(), opts, q);
                           });
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_DescribeConsumerGroups_result(event->get());
    size_t count = 0;
    const auto** descs = rd_kafka_DescribeConsumerGroups_result_groups(result, &count);
    for (size_t i = 0; i < count; ++i) {
        GroupDescription d;
        d.group = rd_kafka_ConsumerGroupDescription_group_id(descs[i]);
        d.state = rd_kafka_ConsumerGroupDescription_state(descs[i]);
        d.members = rd_kafka_ConsumerGroupDescription_member_count(descs[i]);
        if (const auto* err = rd_kafka_ConsumerGroupDescription_error(descs[i])) {
            d.error = rd_kafka_error_string(err);
        }
        out[d.group] = std::move(d);
    }
    return out;
}

Result<GroupOffsets>
Admin::list_consumer_group_offsets(const std::string& group, std::chrono::milliseconds timeout,
                                   const std::vector<TopicPartitionKey>* partitions) const {
    const std::string what = "cluster '" + cluster_ + "' group '" + group + "': list offsets";
    if (partitions != nullptr) {
        GroupOffsets out;
        if (partitions->empty()) {
            return out;
        }
        ClientSpec spec = spec_;
        spec.role += "-offset-fetch";
        spec.settings.emplace_back("group.id", group);
        spec.settings.emplace_back("enable.auto.commit", "false");
        auto consumer = make_consumer(spec);
        if (!consumer) {
            return consumer.error();
        }
        auto wanted = make_partition_list(static_cast<int>(partitions->size()));
        for (const auto& [topic, partition] : *partitions) {
            rd_kafka_topic_partition_list_add(wanted.get(), topic.c_str(), partition);
        }
        auto err = rd_kafka_committed(consumer->get(), wanted.get(), to_ms(timeout));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (int j = 0; j < wanted->cnt; ++j) {
                const auto& tp = wanted->elems[j];
                if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.offset < 0) {
                    continue;
                }
                CommittedOffset c;
                c.offset = tp.offset;
                if (tp.metadata != nullptr && tp.metadata_size > 0) {
                    c.metadata.assign(static_cast<const char*>(tp.metadata), tp.metadata_size);
                }
                out[{tp.topic, tp.partition}] = std::move(c);
            }
        }
        close_consumer(*consumer);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error(what + ": " + rd_kafka_err2str(err));
        }
        return out;
    }
    rd_kafka_ListConsumerGroupOffsets_t* request =
        rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
    auto event =
        run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout, what,
                  [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                      rd_kafka_ListConsumerGroupOffsets(handle_.get(), &request, 1, opts, q);
                  });
    rd_kafka_ListConsumerGroupOffsets_destroy(request);
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_ListConsumerGroupOffsets_result(event->get());
    size_t count = 0;
    const auto** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count);
    GroupOffsets out;
    for (size_t i = 0; i < count; ++i) {
        if (const auto* err = rd_kafka_group_result_error(groups[i])) {
            return make_error(what + ": " + rd_kafka_error_string(err));
        }
        const auto* parts = rd_kafka_group_result_partitions(groups[i]);
        for (int j = 0; parts != nullptr && j < parts->cnt; ++j) {
            const auto& tp = parts->elems[j];
            if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.offset < 0) {
                continue;
            }
            CommittedOffset c;
            c.offset = tp.offset;
            if (tp.metadata != nullptr && tp.metadata_size > 0) {
                c.metadata.assign(static_cast<const char*>(tp.metadata), tp.metadata_size);
            }
            out[{tp.topic, tp.partition}] = std::move(c);
        }
    }
    return out;
}

Status Admin::alter_consumer_group_offsets(const std::string& group, const GroupOffsets& offsets,
                                           std::chrono::milliseconds timeout) const {
    if (offsets.empty()) {
        return {};
    }
    const std::string what = "cluster '" + cluster_ + "' group '" + group + "': alter offsets";
    auto list = make_partition_list(static_cast<int>(offsets.size()));
    for (const auto& [tp, committed] : offsets) {
        auto* elem = rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second);
        elem->offset = committed.offset;
        if (!committed.metadata.empty()) {
            elem->metadata = std::malloc(committed.metadata.size());
            std::memcpy(elem->metadata, committed.metadata.data(), committed.metadata.size());
            elem->metadata_size = committed.metadata.size();
        }
    }
    rd_kafka_AlterConsumerGroupOffsets_t* request =
        rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
    auto event =
        run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout, what,
                  [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                      rd_kafka_AlterConsumerGroupOffsets(handle_.get(), &request, 1, opts, q);
                  });
    rd_kafka_AlterConsumerGroupOffsets_destroy(request);
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_AlterConsumerGroupOffsets_result(event->get());
    size_t count = 0;
    const auto** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &count);
    for (size_t i = 0; i < count; ++i) {
        if (const auto* err = rd_kafka_group_result_error(groups[i])) {
            return make_error(what + ": " + rd_kafka_error_string(err));
        }
        const auto* parts = rd_kafka_group_result_partitions(groups[i]);
        for (int j = 0; parts != nullptr && j < parts->cnt; ++j) {
            const auto& tp = parts->elems[j];
            if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return make_error(what + ": topic '" + tp.topic + "' partition " +
                                  std::to_string(tp.partition) + ": " + rd_kafka_err2str(tp.err));
            }
        }
    }
    return {};
}

} // namespace kmirror::kafka

namespace kmirror::kafka {
namespace {

struct AclBindingDeleter {
    void operator()(rd_kafka_AclBinding_t* b) const { rd_kafka_AclBinding_destroy(b); }
};
using AclBindingPtr = std::unique_ptr<rd_kafka_AclBinding_t, AclBindingDeleter>;

} // namespace

Result<AclListing> Admin::describe_topic_acls(std::chrono::milliseconds timeout) const {
    char errstr[256];
    AclBindingPtr filter(rd_kafka_AclBindingFilter_new(
        RD_KAFKA_RESOURCE_TOPIC, nullptr, RD_KAFKA_RESOURCE_PATTERN_ANY, nullptr, nullptr,
        RD_KAFKA_ACL_OPERATION_ANY, RD_KAFKA_ACL_PERMISSION_TYPE_ANY, errstr, sizeof errstr));
    if (!filter) {
        return make_error("cluster '" + cluster_ + "': describe ACLs: " + errstr);
    }
    rd_kafka_poll(handle_.get(), 0); // serves queued error callbacks
    QueuePtr queue(rd_kafka_queue_new(handle_.get()));
    AdminOptionsPtr options(
        rd_kafka_AdminOptions_new(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBEACLS));
    rd_kafka_AdminOptions_set_request_timeout(options.get(), to_ms(timeout), errstr, sizeof errstr);
    rd_kafka_DescribeAcls(handle_.get(), filter.get(), options.get(), queue.get());
    EventPtr event(rd_kafka_queue_poll(queue.get(), to_ms(timeout) + 1000));
    if (!event) {
        return make_error("cluster '" + cluster_ + "': describe ACLs: no answer within " +
                          std::to_string(timeout.count()) + " ms" + cause());
    }
    AclListing out;
    if (auto err = rd_kafka_event_error(event.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        out.code = err;
        out.message = "cluster '" + cluster_ +
                      "': describe ACLs: " + rd_kafka_event_error_string(event.get());
        return out;
    }
    const auto* result = rd_kafka_event_DescribeAcls_result(event.get());
    size_t count = 0;
    const auto** acls = rd_kafka_DescribeAcls_result_acls(result, &count);
    for (size_t i = 0; i < count; ++i) {
        AclBindingInfo b;
        b.resource_type = rd_kafka_AclBinding_restype(acls[i]);
        b.name = rd_kafka_AclBinding_name(acls[i]);
        b.pattern_type = rd_kafka_AclBinding_resource_pattern_type(acls[i]);
        b.principal = rd_kafka_AclBinding_principal(acls[i]);
        b.host = rd_kafka_AclBinding_host(acls[i]);
        b.operation = rd_kafka_AclBinding_operation(acls[i]);
        b.permission = rd_kafka_AclBinding_permission_type(acls[i]);
        out.bindings.push_back(std::move(b));
    }
    return out;
}

Result<std::vector<std::string>> Admin::create_acls(const std::vector<AclBindingInfo>& bindings,
                                                    std::chrono::milliseconds timeout) const {
    if (bindings.empty()) {
        return std::vector<std::string>{};
    }
    char errstr[256];
    std::vector<AclBindingPtr> owned;
    std::vector<rd_kafka_AclBinding_t*> raw;
    for (const auto& b : bindings) {
        AclBindingPtr acl(rd_kafka_AclBinding_new(b.resource_type, b.name.c_str(), b.pattern_type,
                                                  b.principal.c_str(), b.host.c_str(), b.operation,
                                                  b.permission, errstr, sizeof errstr));
        if (!acl) {
            return make_error("cluster '" + cluster_ + "': create ACL for '" + b.name +
                              "': " + errstr);
        }
        raw.push_back(acl.get());
        owned.push_back(std::move(acl));
    }
    auto event = run_admin(handle_.get(), RD_KAFKA_ADMIN_OP_CREATEACLS, timeout,
                           "cluster '" + cluster_ + "': create ACLs",
                           [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                               rd_kafka_CreateAcls(handle_.get(), raw.data(), raw.size(), opts, q);
                           });
    if (!event) {
        return event.error();
    }
    const auto* result = rd_kafka_event_CreateAcls_result(event->get());
    size_t count = 0;
    const auto** results = rd_kafka_CreateAcls_result_acls(result, &count);
    std::vector<std::string> failures;
    for (size_t i = 0; i < count; ++i) {
        if (const auto* err = rd_kafka_acl_result_error(results[i]);
            err != nullptr && rd_kafka_error_code(err) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            failures.push_back("cluster '" + cluster_ + "': create ACL for topic '" +
                               (i < bindings.size() ? bindings[i].name : std::string("?")) +
                               "': " + rd_kafka_error_string(err));
        }
    }
    return failures;
}

} // namespace kmirror::kafka
