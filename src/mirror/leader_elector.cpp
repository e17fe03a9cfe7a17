#include "mirror/leader_elector.h"

#include "mirror/topic_sync.h"
#include "util/log.h"

namespace kmirror::mirror {

std::string LeaderElector::group_name(const std::string& source, const std::string& target) {
    return "kmirror-leader-" + source + "-" + target;
}

std::string LeaderElector::topic_name(const std::string& source) {
    return "kmirror-leader." + source + ".internal";
}

LeaderElector::LeaderElector(LeaderElectorOptions options)
    : options_(std::move(options)),
      group_(options_.group.empty() ? group_name(options_.source_alias, options_.target_alias)
                                    : options_.group),
      topic_(topic_name(options_.source_alias)) {}

LeaderElector::~LeaderElector() {
    stop();
}

void LeaderElector::rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<LeaderElector*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        bool leader = false;
        for (int i = 0; i < partitions->cnt; ++i) {
            leader = leader || (partitions->elems[i].partition == 0 &&
                                self->topic_ == partitions->elems[i].topic);
        }
        rd_kafka_assign(rk, partitions);
        if (leader != self->leader_.exchange(leader)) {
            log::info("flow " + self->options_.source_alias + "->" + self->options_.target_alias +
                      (leader ? ": this process now runs checkpoints and heartbeats"
                              : ": checkpoints and heartbeats run in another process"));
        }
    } else {
        if (self->leader_.exchange(false)) {
            log::info("flow " + self->options_.source_alias + "->" + self->options_.target_alias +
                      ": leadership of checkpoints and heartbeats revoked");
        }
        rd_kafka_assign(rk, nullptr);
    }
}

Status LeaderElector::start() {
    auto admin = kafka::Admin::create(options_.target_admin);
    if (!admin) {
        return admin.error();
    }
    TopicSync::ensure_internal_topic(*admin, topic_, options_.replication_factor,
                                     options_.admin_timeout);
    auto spec = options_.target_consumer;
    spec.settings.emplace_back("group.id", group_);
    spec.settings.emplace_back("enable.auto.commit", "false");
    spec.settings.emplace_back("enable.auto.offset.store", "false");
    spec.settings.emplace_back("enable.partition.eof", "false");
    spec.settings.emplace_back("partition.assignment.strategy", "range");
    auto conf = kafka::make_conf(spec);
    if (!conf) {
        return conf.error();
    }
    rd_kafka_conf_set_opaque(conf->get(), this);
    rd_kafka_conf_set_rebalance_cb(conf->get(), &LeaderElector::rebalance_cb);
    auto consumer = kafka::make_client(kafka::ClientType::consumer, std::move(conf).value(), spec);
    if (!consumer) {
        return consumer.error();
    }
    consumer_ = std::move(consumer).value();
    auto topics = kafka::make_partition_list(1);
    rd_kafka_topic_partition_list_add(topics.get(), topic_.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(consumer_.get(), topics.get()); err) {
        return make_error("cluster '" + spec.cluster + "' group '" + group_ +
                          "': cannot subscribe to '" + topic_ + "': " + rd_kafka_err2str(err));
    }
    thread_ = std::thread([this] { run(); });
    return {};
}

void LeaderElector::run() {
    while (!stopping_.load()) {
        kafka::MessagePtr m(rd_kafka_consumer_poll(consumer_.get(), 200));
        if (m && m->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
            m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            log::debug("group '" + group_ + "': " + rd_kafka_message_errstr(m.get()));
        }
    }
}

void LeaderElector::stop() noexcept {
    if (stopping_.exchange(true)) {
        return;
    }
    if (thread_.joinable()) {
        thread_.join();
    }
    leader_.store(false);
    if (consumer_) {
        kafka::close_consumer(consumer_); // leaves the group: another process takes over now
        consumer_.reset();
    }
}

} // namespace kmirror::mirror
