// Building librdkafka clients from native (librdkafka-named) settings, with errors that name
// the cluster, the client role and the offending key. Values of secret keys are never shown.
// Java-named settings are translated before this point (kafka/client_config.h).
#pragma once

#include "kafka/handles.h"
#include "util/result.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace kmirror::kafka {

using Settings = std::vector<std::pair<std::string, std::string>>;

// The value librdkafka ends up with for `key` (the last occurrence wins); empty if absent.
std::string setting_value(const Settings& settings, const std::string& key);

struct ClientSpec {
    std::string cluster; // cluster alias, for messages
    std::string role;    // e.g. "replication-consumer", for messages and client.id
    Settings settings;   // librdkafka configuration names and values
    // Optional: what key/value settings cannot express (callbacks such as the AWS MSK IAM token
    // refresh); make_conf applies it after the settings. Must not capture secrets in messages.
    std::function<Status(rd_kafka_conf_t*)> configure = {};
};

// Applies every setting; the first one librdkafka rejects becomes the error.
Result<ConfPtr> make_conf(const ClientSpec& spec);

enum class ClientType { producer, consumer };

// Creates the handle; for consumers also redirects the main queue to the consumer queue. When
// the configuration enabled a SASL callback queue (OAUTHBEARER), it is served by librdkafka's
// background thread, so token refreshes do not depend on the application polling.
Result<HandlePtr> make_client(ClientType type, ConfPtr conf, const ClientSpec& spec);

// Convenience: make_conf + make_client.
Result<HandlePtr> make_producer(const ClientSpec& spec);
Result<HandlePtr> make_consumer(const ClientSpec& spec);

// Closes a consumer (leaving its group) before the handle is destroyed.
void close_consumer(HandlePtr& consumer) noexcept;

std::string describe(const ClientSpec& spec); // "cluster 'A' (replication-consumer)"

} // namespace kmirror::kafka
