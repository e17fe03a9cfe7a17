// Shared by the operator tools (`kmirror offsets`, `verify`, `cutover`): their command line (an
// mm2.properties file and options) and loading the file's flows. Errors are printed as
// "kmirror <tool>: ..." and mean exit code 2.
#pragma once

#include "config/mm2_config.h"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kmirror::app {

struct ToolArgs {
    std::string file;
    std::map<std::string, std::vector<std::string>> values; // option -> its values, in order
    std::set<std::string> flags;

    // The last value of `option`, or `fallback`.
    std::string value(const std::string& option, const std::string& fallback = "") const;
};

// `option`'s value as a positive number of seconds into `out` (left as it is when the option is
// not given); false, with the error printed, when it is not one.
bool seconds_option(const std::string& tool, const ToolArgs& args, const std::string& option,
                    std::chrono::seconds& out);

// `value_options` take a value and may repeat; `flag_options` take none.
std::optional<ToolArgs> parse_tool_args(const std::string& tool,
                                        const std::vector<std::string>& args,
                                        const std::set<std::string>& value_options,
                                        const std::set<std::string>& flag_options = {});

// Reads the file and builds its enabled flows: an mm2.properties file (dedicated mode), or one
// connector's JSON file as given to the Connect REST API (e.g. the seed's mm2-msc-*.json for
// `verify`, mm2-cpc-*.json for `offsets` and `cutover`: each as that connector runs). kmirror's
// log is set to warnings only, so that the tool's output is its table.
std::optional<config::DedicatedConfig> load_tool_flows(const std::string& tool,
                                                       const std::string& file);

} // namespace kmirror::app
