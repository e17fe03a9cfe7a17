#include "rest/connect_rest.h"

#include "util/redact.h"
#include "util/strings.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace kmirror::rest {
namespace {

using connect::RestError;
using Json = nlohmann::ordered_json;

http::Response json(int status, const Json& body) {
    return http::Response{status, "application/json", body.dump(), {}};
}

http::Response empty(int status) {
    return http::Response{status, "application/json", "", {}};
}

Json masked(const connect::ConnectorConfig& config) {
    Json out = Json::object();
    for (const auto& [k, v] : config) {
        out[k] = shown_value(k, v);
    }
    return out;
}

Json info_json(const connect::ConnectorInfo& info) {
    Json tasks = Json::array();
    for (int i = 0; i < info.tasks; ++i) {
        tasks.push_back(Json{{"connector", info.name}, {"task", i}});
    }
    return Json{{"name", info.name},
                {"config", masked(info.config)},
                {"tasks", tasks},
                {"type", info.type}};
}

Json task_json(const connect::TaskStatus& t) {
    Json j{{"id", t.id}, {"state", t.state}, {"worker_id", t.worker_id}};
    if (!t.trace.empty()) {
        j["trace"] = t.trace;
    }
    return j;
}

Json status_json(const connect::ConnectorStatus& s) {
    Json connector{{"state", s.state}, {"worker_id", s.worker_id}};
    if (!s.trace.empty()) {
        connector["trace"] = s.trace;
    }
    Json tasks = Json::array();
    for (const auto& t : s.tasks) {
        tasks.push_back(task_json(t));
    }
    return Json{{"name", s.name}, {"connector", connector}, {"tasks", tasks}, {"type", s.type}};
}

connect::ConnectorConfig config_from(const nlohmann::json& j) {
    auto config = connect::connector_config_from_json(j);
    if (!config) {
        throw RestError(400, config.error().message);
    }
    return std::move(config).value();
}

nlohmann::json parse_body(const std::string& body) {
    try {
        return nlohmann::json::parse(body);
    } catch (const nlohmann::json::parse_error& e) {
        throw RestError(400, std::string("Invalid JSON in the request body: ") + e.what());
    }
}

void validate_or_throw(const connect::ConnectorConfig& config) {
    auto errors = connect::validate_connector_config(config);
    if (errors.empty()) {
        return;
    }
    std::string connector_type = "unknown";
    if (auto c = config.find("connector.class"); c != config.end()) {
        if (auto p = connect::find_plugin(c->second)) {
            connector_type = p->class_name.substr(p->class_name.rfind('.') + 1);
        }
    }
    std::string message = "Connector configuration is invalid and contains the following " +
                          std::to_string(errors.size()) + " error(s):\n";
    for (const auto& e : errors) {
        message += e.message + "\n";
    }
    message += "You can also find the above list of errors at the endpoint "
               "`/connector-plugins/" +
               connector_type + "/config/validate`";
    throw RestError(400, message);
}

std::optional<connect::TargetState> initial_state(const nlohmann::json& body) {
    if (!body.contains("initial_state") || body["initial_state"].is_null()) {
        return std::nullopt;
    }
    const auto s = body["initial_state"].is_string() ? body["initial_state"].get<std::string>()
                                                     : std::string();
    if (s == "RUNNING") {
        return connect::TargetState::started;
    }
    if (s == "PAUSED") {
        return connect::TargetState::paused;
    }
    if (s == "STOPPED") {
        return connect::TargetState::stopped;
    }
    throw RestError(400, "Invalid initial_state '" + s + "': expected RUNNING, PAUSED or STOPPED");
}

bool flag(const http::Request& r, const std::string& name) {
    auto it = r.params.find(name);
    return it != r.params.end() && strings::to_lower(it->second) == "true";
}

std::vector<std::string> segments(const std::string& path) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : path) {
        if (c == '/') {
            if (!cur.empty()) {
                out.push_back(cur);
            }
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) {
        out.push_back(cur);
    }
    return out;
}

int task_id(const std::string& text) {
    long long n = -1;
    if (!strings::parse_int64(text, n) || n < 0 || n > 1000000) {
        throw RestError(404, "Unknown task " + text);
    }
    return static_cast<int>(n);
}

Json validate_json(const std::string& plugin_class, const connect::ConnectorConfig& config) {
    const auto errors = connect::validate_connector_config(config);
    Json configs = Json::array();
    auto add = [&](const std::string& key, const std::string* value) {
        Json errs = Json::array();
        for (const auto& e : errors) {
            if (e.key == key) {
                errs.push_back(e.message);
            }
        }
        configs.push_back(Json{{"definition",
                                {{"name", key},
                                 {"type", "STRING"},
                                 {"required", key == "connector.class"},
                                 {"default_value", nullptr},
                                 {"importance", "HIGH"},
                                 {"documentation", ""},
                                 {"group", "Common"},
                                 {"order", static_cast<int>(configs.size()) + 1},
                                 {"width", "NONE"},
                                 {"display_name", key},
                                 {"dependents", Json::array()}}},
                               {"value",
                                {{"name", key},
                                 {"value", value ? Json(shown_value(key, *value)) : Json(nullptr)},
                                 {"recommended_values", Json::array()},
                                 {"errors", errs},
                                 {"visible", true}}}});
    };
    for (const auto& [k, v] : config) {
        add(k, &v);
    }
    for (const auto& e : errors) { // errors about keys that are not in the config
        if (config.count(e.key) == 0) {
            const size_t before = configs.size();
            bool present = false;
            for (size_t i = 0; i < before; ++i) {
                present = present || configs[i]["value"]["name"] == e.key;
            }
            if (!present) {
                add(e.key, nullptr);
            }
        }
    }
    return Json{{"name", plugin_class},
                {"error_count", errors.size()},
                {"groups", Json::array({"Common"})},
                {"configs", configs}};
}

} // namespace

ConnectRest::ConnectRest(connect::HerderApi& herder, std::string version, std::string commit)
    : herder_(herder), version_(std::move(version)), commit_(std::move(commit)) {}

http::Response ConnectRest::handle(const http::Request& request) {
    try {
        return route(request);
    } catch (const RestError& e) {
        return json(e.code(), Json{{"error_code", e.code()}, {"message", e.what()}});
    } catch (const std::exception& e) {
        return json(500, Json{{"error_code", 500}, {"message", e.what()}});
    }
}

http::Response ConnectRest::route(const http::Request& r) {
    const auto seg = segments(r.path);
    const auto& m = r.method;
    auto not_found = [&] { return RestError(404, "HTTP 404 Not Found"); };
    auto method_not_allowed = [&] { return RestError(405, "HTTP 405 Method Not Allowed"); };
    if (seg.empty()) {
        if (m != "GET") {
            throw method_not_allowed();
        }
        return json(200, Json{{"version", version_},
                              {"commit", commit_},
                              {"kafka_cluster_id", herder_.kafka_cluster_id()}});
    }
    if (seg[0] == "connector-plugins") {
        if (seg.size() == 1 && m == "GET") {
            Json out = Json::array();
            for (const auto& p : connect::plugins()) {
                out.push_back(Json{{"class", p.class_name},
                                   {"type", p.type},
                                   {"version", connect::plugin_version()}});
            }
            return json(200, out);
        }
        if (seg.size() == 4 && seg[2] == "config" && seg[3] == "validate" && m == "PUT") {
            auto plugin = connect::find_plugin(seg[1]);
            if (!plugin) {
                throw RestError(404, "Unknown plugin " + seg[1] + ".");
            }
            auto config = config_from(parse_body(r.body));
            if (auto c = config.find("connector.class");
                c == config.end() || !strings::ends_with(c->second, seg[1])) {
                throw RestError(400, "Connector class name in the request body (" +
                                         (c == config.end() ? std::string("none") : c->second) +
                                         ") must end with the plugin name in the URL (" + seg[1] +
                                         ")");
            }
            return json(200, validate_json(plugin->class_name, config));
        }
        throw not_found();
    }
    if (seg[0] != "connectors") {
        throw not_found();
    }
    if (seg.size() == 1) {
        if (m == "GET") {
            const auto names = herder_.connector_names();
            std::vector<std::string> expand;
            if (auto e = r.params.find("expand"); e != r.params.end()) {
                expand = strings::split_list(e->second);
            }
            const bool status = std::find(expand.begin(), expand.end(), "status") != expand.end();
            const bool info = std::find(expand.begin(), expand.end(), "info") != expand.end();
            if (!status && !info) {
                return json(200, Json(names));
            }
            Json out = Json::object();
            for (const auto& name : names) {
                Json entry = Json::object();
                if (status) {
                    if (auto s = herder_.connector_status(name)) {
                        entry["status"] = status_json(*s);
                    }
                }
                if (info) {
                    if (auto i = herder_.connector_info(name)) {
                        entry["info"] = info_json(*i);
                    }
                }
                out[name] = entry;
            }
            return json(200, out);
        }
        if (m == "POST") {
            const auto body = parse_body(r.body);
            if (!body.is_object() || !body.contains("name") || !body["name"].is_string() ||
                body["name"].get<std::string>().empty()) {
                throw RestError(400, "Connector name must be given in the request body");
            }
            const auto name = body["name"].get<std::string>();
            if (!body.contains("config")) {
                throw RestError(400, "Connector config must be given in the request body");
            }
            auto config = config_from(body["config"]);
            if (auto n = config.find("name"); n != config.end() && n->second != name) {
                throw RestError(400, "Connector name configuration (" + n->second +
                                         ") doesn't match connector name in the URL (" + name +
                                         ")");
            }
            config["name"] = name;
            const auto state = initial_state(body);
            validate_or_throw(config);
            if (herder_.connector_info(name)) {
                throw RestError(409, "Connector " + name + " already exists");
            }
            herder_.put_connector_config(name, config, state);
            auto info = herder_.connector_info(name);
            auto resp = json(201, info_json(info.value_or(connect::ConnectorInfo{name, config})));
            resp.headers.emplace_back("Location", "/connectors/" + name);
            return resp;
        }
        throw method_not_allowed();
    }
    const std::string& name = seg[1];
    auto need_info = [&] {
        auto info = herder_.connector_info(name);
        if (!info) {
            throw RestError(404, "Connector " + name + " not found");
        }
        return *info;
    };
    if (seg.size() == 2) {
        if (m == "GET") {
            return json(200, info_json(need_info()));
        }
        if (m == "DELETE") {
            herder_.delete_connector(name);
            return empty(204);
        }
        throw method_not_allowed();
    }
    const std::string& sub = seg[2];
    if (seg.size() == 3 && sub == "config") {
        if (m == "GET") {
            return json(200, masked(need_info().config));
        }
        if (m == "PUT") {
            auto config = config_from(parse_body(r.body));
            if (auto n = config.find("name"); n != config.end() && n->second != name) {
                throw RestError(400, "Connector name configuration (" + n->second +
                                         ") doesn't match connector name in the URL (" + name +
                                         ")");
            }
            config["name"] = name;
            validate_or_throw(config);
            const bool created = herder_.put_connector_config(name, config, std::nullopt);
            auto info = herder_.connector_info(name);
            auto resp = json(created ? 201 : 200,
                             info_json(info.value_or(connect::ConnectorInfo{name, config})));
            if (created) {
                resp.headers.emplace_back("Location", "/connectors/" + name);
            }
            return resp;
        }
        throw method_not_allowed();
    }
    if (seg.size() == 3 && sub == "status" && m == "GET") {
        auto s = herder_.connector_status(name);
        if (!s) {
            throw RestError(404, "No status found for connector " + name);
        }
        return json(200, status_json(*s));
    }
    if (seg.size() == 3 && sub == "tasks" && m == "GET") {
        const auto info = need_info();
        Json out = Json::array();
        for (int i = 0; i < info.tasks; ++i) {
            auto config = masked(info.config);
            config["task.index"] = std::to_string(i);
            out.push_back(Json{{"id", {{"connector", name}, {"task", i}}}, {"config", config}});
        }
        return json(200, out);
    }
    if (seg.size() == 5 && sub == "tasks" && seg[4] == "status" && m == "GET") {
        const int id = task_id(seg[3]);
        auto s = herder_.connector_status(name);
        if (!s) {
            throw RestError(404, "No status found for connector " + name);
        }
        for (const auto& t : s->tasks) {
            if (t.id == id) {
                return json(200, task_json(t));
            }
        }
        throw RestError(404, "No status found for task " + name + "-" + seg[3]);
    }
    if (seg.size() == 5 && sub == "tasks" && seg[4] == "restart" && m == "POST") {
        herder_.restart_task(name, task_id(seg[3]));
        return empty(204);
    }
    if (seg.size() == 3 && sub == "restart" && m == "POST") {
        const bool include_tasks = flag(r, "includeTasks");
        const bool only_failed = flag(r, "onlyFailed");
        auto before = herder_.connector_status(name);
        if (!before) {
            throw RestError(404, "Unknown connector: " + name);
        }
        herder_.restart_connector(name, include_tasks, only_failed);
        if (!include_tasks && !only_failed) {
            return empty(204);
        }
        auto s = *before;
        if (!only_failed || s.state == "FAILED") {
            s.state = "RESTARTING";
        }
        for (auto& t : s.tasks) {
            if (include_tasks && (!only_failed || t.state == "FAILED")) {
                t.state = "RESTARTING";
            }
        }
        return json(202, status_json(s));
    }
    if (seg.size() == 3 && m == "PUT" && (sub == "pause" || sub == "resume" || sub == "stop")) {
        herder_.set_target_state(name, sub == "pause"  ? connect::TargetState::paused
                                       : sub == "stop" ? connect::TargetState::stopped
                                                       : connect::TargetState::started);
        return empty(sub == "stop" ? 204 : 202);
    }
    if (seg.size() == 3 && sub == "offsets" && m == "GET") {
        Json offsets = Json::array();
        for (const auto& o : herder_.offsets(name)) {
            offsets.push_back(
                Json{{"partition",
                      {{"cluster", o.cluster}, {"partition", o.partition}, {"topic", o.topic}}},
                     {"offset", {{"offset", o.offset}}}});
        }
        return json(200, Json{{"offsets", offsets}});
    }
    throw not_found();
}

} // namespace kmirror::rest
