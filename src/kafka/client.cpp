#include "kafka/client.h"

#include "util/log.h"
#include "util/redact.h"

namespace kmirror::kafka {

std::string setting_value(const Settings& settings, const std::string& key) {
    std::string value;
    for (const auto& [k, v] : settings) {
        if (k == key) {
            value = v;
        }
    }
    return value;
}

std::string describe(const ClientSpec& spec) {
    return "cluster '" + spec.cluster + "' (" + spec.role + ")";
}

namespace {

// librdkafka's own log lines go through our logger (one format, one stream). The client name
// carries the client.id, which says flow and role.
void log_trampoline(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    log::Level mapped = level <= 3   ? log::Level::error
                        : level == 4 ? log::Level::warn
                        : level <= 6 ? log::Level::info
                                     : log::Level::debug;
    log::write(mapped,
               std::string("librdkafka ") + rd_kafka_name(rk) + " " + facility + ": " + text);
}

} // namespace

Result<ConfPtr> make_conf(const ClientSpec& spec) {
    ConfPtr conf(rd_kafka_conf_new());
    rd_kafka_conf_set_log_cb(conf.get(), log_trampoline);
    char errstr[512];
    for (const auto& [key, value] : spec.settings) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            return make_error(describe(spec) + ": setting '" + key + "' = '" +
                              shown_value(key, value) + "' is rejected: " + errstr);
        }
    }
    if (spec.configure) {
        if (auto s = spec.configure(conf.get()); !s) {
            return make_error(describe(spec) + ": " + s.error().message);
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
    if (QueuePtr sasl{rd_kafka_queue_get_sasl(rk)}) {
        if (ErrorPtr error{rd_kafka_sasl_background_callbacks_enable(rk)}) {
            const std::string message = rd_kafka_error_string(error.get());
            rd_kafka_destroy(rk);
            return make_error(describe(spec) + ": cannot serve SASL callbacks: " + message);
        }
    }
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
