// `kmirror worker connect-distributed.properties`: a distributed worker serving the Kafka
// Connect REST API (plus /metrics and /health) on its REST listener.
#pragma once

#include <string>
#include <vector>

namespace kmirror::app {

int worker_command(const std::vector<std::string>& args);

} // namespace kmirror::app
