// `kmirror cutover mm2.properties --group G [--group G...] [--commit]`: the guided move of
// consumer groups from the source cluster to the target (mirror/cutover_plan.h). Without
// --commit it only checks and shows the positions; with it, a ready group's translated offsets
// are committed on the target and read back.
#pragma once

#include <string>
#include <vector>

namespace kmirror::app {

int cutover_command(const std::vector<std::string>& args);

} // namespace kmirror::app
