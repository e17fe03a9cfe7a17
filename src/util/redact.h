// Which configuration keys hold secrets, and how they print: "[hidden]" everywhere
// (logs, errors, REST responses).
#pragma once

#include <string>
#include <string_view>

namespace kmirror {

inline constexpr std::string_view kHidden = "[hidden]";

bool is_secret_key(std::string_view key);
// The value as it may be shown to a person.
std::string shown_value(std::string_view key, std::string_view value);

} // namespace kmirror
