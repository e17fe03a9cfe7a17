// `${NAME}` and `${NAME:-default}` in configuration values, resolved from the environment (what
// the seed's ECS start script did with sed before starting Kafka Connect).
//
//   bootstrap.servers = ${SOURCE_BROKERS}
//   tasks.max = ${TASKS_MAX:-4}
//
// NAME is [A-Za-z_][A-Za-z0-9_]*. `${NAME:-default}` uses the default when NAME is unset or
// empty (as the shell does); the default may itself contain references. `$${` is a literal
// `${`. Anything else starting with `${` that is not a reference of this form (for example the
// Kafka config-provider syntax `${file:/path:key}`) is left as it is. An unset variable without
// a default is an error naming the variable and the key; error texts never contain values.
#pragma once

#include "util/properties.h"
#include "util/result.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kmirror::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment(); // ::getenv

// `key` only names the entry in errors.
Result<std::string> interpolate_value(std::string_view value, const EnvLookup& env,
                                      std::string_view key = {});
// Every value of `props` (keys are not interpolated); the first error stops.
Result<Properties> interpolate(const Properties& props, const EnvLookup& env);

} // namespace kmirror::config
