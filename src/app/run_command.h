// `kmirror run mm2.properties`: dedicated mode.
#pragma once

#include <string>
#include <vector>

namespace kmirror::app {

int run_command(const std::vector<std::string>& args);

} // namespace kmirror::app
