#include "app/tool_args.h"

#include "config/remote_file.h"
#include "connect/connector_plugins.h"
#include "connect/connector_runner.h"
#include "util/log.h"
#include "util/properties.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace kmirror::app {

std::string ToolArgs::value(const std::string& option, const std::string& fallback) const {
    auto it = values.find(option);
    return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

bool seconds_option(const std::string& tool, const ToolArgs& args, const std::string& option,
                    std::chrono::seconds& out) {
    if (args.values.count(option) == 0) {
        return true;
    }
    const std::string v = args.value(option);
    char* end = nullptr;
    const long seconds = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || seconds <= 0) {
        std::fprintf(stderr, "kmirror %s: %s: expected a positive number of seconds, got '%s'\n",
                     tool.c_str(), option.c_str(), v.c_str());
        return false;
    }
    out = std::chrono::seconds(seconds);
    return true;
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
        std::fprintf(stderr,
                     "kmirror %s: missing the mm2.properties (or connector JSON) file argument\n",
                     tool.c_str());
        return std::nullopt;
    }
    return out;
}

namespace {

// A connector's JSON file: the config object itself (as PUT to /connectors/{name}/config; the
// seed's files) or {"name": ..., "config": {...}} (as POSTed to /connectors). Values as Connect
// takes them: strings, or numbers and booleans as their text.
Result<connect::ConnectorConfig> connector_json(const std::string& file, const std::string& text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        return make_error("connector file '" + file + "': invalid JSON: " + e.what());
    }
    if (j.is_object() && j.contains("config") && j["config"].is_object()) {
        const std::string name = j.value("name", "");
        j = j["config"];
        if (!name.empty() && !j.contains("name")) {
            j["name"] = name;
        }
    }
    auto config = connect::connector_config_from_json(j);
    if (!config) {
        return make_error("connector file '" + file + "': " + config.error().message);
    }
    return config;
}

// The one flow a connector's config describes; its settings serve as the source, checkpoint and
// heartbeat connector configs alike (each reads the keys it knows).
Result<config::DedicatedConfig> connector_flow(const std::string& file, const std::string& text) {
    auto config = connector_json(file, text);
    if (!config) {
        return config.error();
    }
    const std::string name = config->count("name") != 0 ? config->at("name") : "kmirror-tool";
    config::S3Fetcher s3;
    auto props =
        connect::runner_properties(name, *config, "kmirror-tool", s3, config::TempFiles::process());
    if (!props) {
        return props.error();
    }
    config::FlowConnectorConfig flow{props->get("source.cluster.alias", "source"),
                                     props->get("target.cluster.alias", "target"),
                                     *props,
                                     *props,
                                     *props,
                                     std::nullopt};
    config::DedicatedConfig out;
    out.clusters = {flow.source, flow.target};
    out.flows.push_back(std::move(flow));
    return out;
}

} // namespace

std::optional<config::DedicatedConfig> load_tool_flows(const std::string& tool,
                                                       const std::string& file) {
    log::set_level(log::Level::warn);
    std::ifstream in(file);
    std::stringstream read;
    read << in.rdbuf();
    const std::string text = read.str();
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{') { // JSON; else an mm2.properties file
        auto flows = connector_flow(file, text);
        if (!flows) {
            std::fprintf(stderr, "kmirror %s: %s\n", tool.c_str(), flows.error().message.c_str());
            return std::nullopt;
        }
        return std::move(flows).value();
    }
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
