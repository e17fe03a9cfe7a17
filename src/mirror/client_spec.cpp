#include "mirror/client_spec.h"

#include "kafka/key_stores.h"
#include "kafka/msk_iam.h"
#include "util/strings.h"

#include <algorithm>

namespace kmirror::mirror {
namespace {

void apply_limits(kafka::Settings& settings, const std::vector<Limit>& limits,
                  const std::string& where, std::vector<std::string>& notes) {
    for (auto& [key, value] : settings) {
        for (const auto& limit : limits) {
            long long v = 0;
            if (key != limit.key || !strings::parse_int64(value, v)) {
                continue;
            }
            const long long clamped = std::max(limit.min, std::min(v, limit.max));
            if (clamped != v) {
                notes.push_back(where + ": '" + key + "' = " + value + " is kept at " +
                                std::to_string(clamped) + " (" + limit.why + ")");
                value = std::to_string(clamped);
            }
        }
    }
}

} // namespace

Result<kafka::ClientSpec> build_client_spec(const ClientSpecRequest& r,
                                            std::vector<std::string>& notes) {
    Properties java = r.java; // JKS/PKCS12 stores read and replaced by PEM settings
    if (auto stores = kafka::resolve_key_stores(java); !stores) {
        return make_error("cluster '" + r.cluster + "' (" + r.role +
                          "): " + stores.error().message);
    }
    auto translated = kafka::translate_java_client_config(java, r.client_role);
    if (!translated) {
        return make_error("cluster '" + r.cluster + "' (" + r.role +
                          "): " + translated.error().message);
    }
    for (const auto& key : translated->ignored) {
        notes.push_back("cluster '" + r.cluster + "' (" + r.role + "): '" + key +
                        "' has no librdkafka equivalent and is ignored");
    }
    for (const auto& note : translated->notes) {
        notes.push_back("cluster '" + r.cluster + "' (" + r.role + "): " + note);
    }
    kafka::ClientSpec spec;
    spec.cluster = r.cluster;
    spec.role = r.role;
    spec.settings = r.defaults;
    if (translated->aws_msk_iam) { // OAUTHBEARER with a SigV4 token (kafka/msk_iam.h)
        spec.configure = [jaas = *translated->aws_msk_iam,
                          bootstrap = r.java.get("bootstrap.servers"),
                          extra = r.java](rd_kafka_conf_t* conf) {
            return kafka::msk_iam::install_msk_iam(conf, jaas, bootstrap, extra);
        };
    }
    apply_limits(translated->settings, r.limits, "cluster '" + r.cluster + "' (" + r.role + ")",
                 notes);
    for (const auto& kv : translated->settings) {
        spec.settings.push_back(kv);
    }
    for (const auto& kv : r.forced) {
        spec.settings.push_back(kv);
    }
    if (auto conf = kafka::make_conf(spec); !conf) {
        return conf.error();
    }
    return spec;
}

} // namespace kmirror::mirror
