// `kmirror verify mm2.properties [--topics REGEX] [--timeout SECONDS]`: for every enabled flow
// and every source partition it replicates, did every record arrive on the target, in order?
// Meant for the cut-over (producers stopped, replication caught up): exit 0 only when every
// source record was found; a lagging flow shows its tail as "not copied yet".
#pragma once

#include <string>
#include <vector>

namespace kmirror::app {

int verify_command(const std::vector<std::string>& args);

} // namespace kmirror::app
