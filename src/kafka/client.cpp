#include "kafka/client.h"

#include "util/redact.h"

namespace kmirror::kafka {

std::string describe(const ClientSpec& spec) {
    return "cluster '" + spec.cluster + "' (" + spec.role + ")";
}

Result<ConfPtr> make_conf(const ClientSpec& spec) {
    ConfPtr conf(rd_kafka_conf_new());
    char errstr[512];
    for (const auto& [key, value] : spec.settings) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            return make_error(describe(spec) + ": setting '" + key + "' = '" +
                              shown_value(key, value) + "' is rejected: " + errstr);
        }
    }
    return conf;
}

Result<HandlePtr> make_client(ClientType type, ConfPtr conf, const ClientSpec& spec) {
    char errstr[512];
    rd_kafka_t* rk =
        rd_kafka_new(type == ClientType::producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                     conf.get(), errstr, sizeof errstr);
    if (rk == nullptr) {
        return make_error(describe(spec) + ": cannot create client: " + errstr);
    }
    conf.release(); // owned by rk from here on
    if (type == ClientType::consumer) {
        rd_kafka_poll_set_consumer(rk);
    }
    return HandlePtr(rk);
}

Result<HandlePtr> make_producer(const ClientSpec& spec) {
    auto conf = make_conf(spec);
    if (!conf) {
        return conf.error();
    }
    return make_client(ClientType::producer, std::move(conf).value(), spec);
}

Result<HandlePtr> make_consumer(const ClientSpec& spec) {
    auto conf = make_conf(spec);
    if (!conf) {
        return conf.error();
    }
    return make_client(ClientType::consumer, std::move(conf).value(), spec);
}

void close_consumer(HandlePtr& consumer) noexcept {
    if (consumer) {
        rd_kafka_consumer_close(consumer.get());
        consumer.reset();
    }
}

} // namespace kmirror::kafka
