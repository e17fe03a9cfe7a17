// Reading typed values out of a connector/worker configuration with Java ConfigDef-like
// validation. Each reader leaves `out` untouched when the key is absent; errors name the key
// and what is expected.
#pragma once

#include "util/properties.h"
#include "util/result.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace kmirror::config {

Status get_bool(const Properties& p, const std::string& key, bool& out);
Status get_int(const Properties& p, const std::string& key, int64_t& out, int64_t min, int64_t max);
Status get_seconds(const Properties& p, const std::string& key, std::chrono::seconds& out,
                   int64_t min = -1);

} // namespace kmirror::config
