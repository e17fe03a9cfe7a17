#include "util/redact.h"

#include "util/strings.h"

namespace kmirror {

bool is_secret_key(std::string_view key) {
    const std::string k = strings::to_lower(key);
    for (std::string_view marker :
         {"password", "secret", "jaas", "ssl.key.pem", "keystore.key", "private.key", "token",
          "credentials", "sasl.oauthbearer.config"}) {
        if (k.find(marker) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string shown_value(std::string_view key, std::string_view value) {
    return is_secret_key(key) ? std::string(kHidden) : std::string(value);
}

} // namespace kmirror
