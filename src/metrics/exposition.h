// Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
// Thread: pure functions.
#pragma once

#include "metrics/registry.h"

#include <string>
#include <string_view>
#include <vector>

namespace kmirror::metrics {

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Renders samples grouped by name: one "# HELP" and one "# TYPE" line per name (the first
// sample's help and type win), then one line per series. Samples of one name should be
// adjacent (Registry::collect() sorts them); a name seen again later gets no second HELP/TYPE.
std::string write_exposition(const std::vector<Sample>& samples);

// Label value escaping: backslash, double quote and line feed.
std::string escape_label_value(std::string_view value);
// HELP text escaping: backslash and line feed.
std::string escape_help(std::string_view help);
// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: [a-zA-Z_][a-zA-Z0-9_]*. Other
// characters become '_' (as the JMX exporter does), a leading digit gets a '_' prefix.
std::string sanitize_metric_name(std::string_view name);
std::string sanitize_label_name(std::string_view name);
// Shortest round-trip decimal; "NaN", "+Inf", "-Inf" for the special values.
std::string format_value(double value);

} // namespace kmirror::metrics
