// Small string helpers shared by every module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kmirror::strings {

std::string_view trim(std::string_view s);
// Splits on `sep`, trimming each item; empty items are dropped (Java ConfigDef LIST semantics).
std::vector<std::string> split_list(std::string_view s, char sep = ',');
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string join(const std::vector<std::string>& items, std::string_view sep);
std::string to_lower(std::string_view s);

// Parses integers and booleans the way Java's ConfigDef does (trimmed, "true"/"false" any case).
bool parse_int64(std::string_view s, long long& out);
bool parse_bool(std::string_view s, bool& out);

} // namespace kmirror::strings
