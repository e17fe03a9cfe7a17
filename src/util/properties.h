// Java .properties files (java.util.Properties.load semantics): '#'/'!' comments, '=' ':' or
// whitespace separators, backslash line continuation, \t \n \r \f \uXXXX escapes.
// Keys keep their file order so that reports ("unknown key X") follow the file.
#pragma once

#include "util/result.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kmirror {

class Properties {
public:
    void set(const std::string& key, const std::string& value);
    bool contains(const std::string& key) const { return values_.count(key) != 0; }
    const std::string* find(const std::string& key) const;
    std::string get(const std::string& key, const std::string& fallback = "") const;
    bool erase(const std::string& key);

    // Keys in first-insertion order.
    const std::vector<std::string>& keys() const { return order_; }
    const std::map<std::string, std::string>& map() const { return values_; }
    size_t size() const { return values_.size(); }
    bool empty() const { return values_.empty(); }

    // Entries whose key starts with `prefix`, with the prefix removed.
    Properties with_prefix_stripped(std::string_view prefix) const;

    static Result<Properties> parse(std::string_view text);
    static Result<Properties> load_file(const std::string& path);

private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> order_;
};

} // namespace kmirror
