#include "app/run_command.h"

#include <cstdio>

namespace kmirror::app {

int run_command(const std::vector<std::string>& args) {
    if (args.empty()) {
        std::fputs("kmirror run: missing the mm2.properties file argument\n", stderr);
        return 2;
    }
    std::fputs("kmirror run: not implemented yet\n", stderr);
    return 1;
}

} // namespace kmirror::app
