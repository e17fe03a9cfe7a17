#include "mirror/client_spec.h"

#include "kafka/msk_iam.h"

namespace kmirror::mirror {

Result<kafka::ClientSpec> build_client_spec(const ClientSpecRequest& r,
                                            std::vector<std::string>& notes) {
    auto translated = kafka::translate_java_client_config(r.java, r.client_role);
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
