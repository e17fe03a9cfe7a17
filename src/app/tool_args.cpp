#include "app/tool_args.h"

#include "util/log.h"
#include "util/properties.h"

#include <cstdio>

namespace kmirror::app {

std::string ToolArgs::value(const std::string& option, const std::string& fallback) const {
    auto it = values.find(option);
    return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

std::optional<ToolArgs> parse_tool_args(const std::string& tool,
                                        const std::vector<std::string>& args,
                                        const std::set<std::string>& value_options,
                                        const std::set<std::string>& flag_options) {
    ToolArgs out;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (value_options.count(a) != 0) {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "kmirror %s: %s: expected a value after it\n", tool.c_str(),
                             a.c_str());
                return std::nullopt;
            }
            out.values[a].push_back(args[++i]);
        } else if (flag_options.count(a) != 0) {
            out.flags.insert(a);
        } else if (a.rfind("--", 0) == 0) {
            std::fprintf(stderr, "kmirror %s: unknown option '%s'\n", tool.c_str(), a.c_str());
            return std::nullopt;
        } else if (out.file.empty()) {
            out.file = a;
        } else {
            std::fprintf(stderr, "kmirror %s: unexpected argument '%s'\n", tool.c_str(), a.c_str());
            return std::nullopt;
        }
    }
    if (out.file.empty()) {
        std::fprintf(stderr, "kmirror %s: missing the mm2.properties file argument\n",
                     tool.c_str());
        return std::nullopt;
    }
    return out;
}

std::optional<config::DedicatedConfig> load_tool_flows(const std::string& tool,
                                                       const std::string& file) {
    log::set_level(log::Level::warn);
    auto props = Properties::load_file(file);
    if (!props) {
        std::fprintf(stderr, "kmirror %s: %s\n", tool.c_str(), props.error().message.c_str());
        return std::nullopt;
    }
    auto dedicated = config::build_dedicated_config(*props);
    if (!dedicated) {
        std::fprintf(stderr, "kmirror %s: %s\n", tool.c_str(), dedicated.error().message.c_str());
        return std::nullopt;
    }
    return std::move(dedicated).value();
}

} // namespace kmirror::app
