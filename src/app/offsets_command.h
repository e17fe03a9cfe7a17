// `kmirror offsets mm2.properties [--group G]`: for every enabled flow and every selected source
// group (or one), per partition: the source committed offset, its translation to the target
// (exact or MM2's conservative rule), the target group's committed offset, and the lag on each
// side -- what operators otherwise assemble with kafka-consumer-groups.sh on two clusters.
#pragma once

#include <string>
#include <vector>

namespace kmirror::app {

int offsets_command(const std::vector<std::string>& args);

} // namespace kmirror::app
