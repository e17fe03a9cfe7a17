#include "app/cli.h"

#include "app/cutover_command.h"
#include "app/offsets_command.h"
#include "app/run_command.h"
#include "app/verify_command.h"
#include "app/worker_command.h"
#include "util/log.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#ifndef KMIRROR_VERSION
#define KMIRROR_VERSION "0.0.0"
#endif

namespace kmirror::app {
namespace {

constexpr const char* kUsage =
    R"(kmirror — Kafka replication and migration (MirrorMaker 2 compatible)

Usage:
  kmirror run <mm2.properties> [--clusters ALIAS...] [--log-level LEVEL] [--metrics-port N]
        Dedicated mode: replicate the flows enabled in an MM2 properties file
        (same format as connect-mirror-maker.sh). Several processes started with the
        same file share the partitions.
  kmirror worker <connect-distributed.properties> [--log-level LEVEL]
        Distributed worker with the Kafka Connect REST API (default port 8083):
        PUT the MM2 connector JSON files to /connectors/{name}/config. Workers with
        the same group.id share the work; state lives in the storage topics.
  kmirror offsets <mm2.properties|connector.json> [--group GROUP]
        Per consumer group and partition of every enabled flow: the source committed
        offset, its translation to the target (and whether it is exact), the target
        group's committed offset, and the lag on each side.
  kmirror verify <mm2.properties|connector.json> [--topics REGEX] [--timeout SECONDS]
                 [--wait SECONDS] [--since TIME]
        Per replicated partition of every enabled flow: did every source record
        arrive on the target, in order (key, value, headers, timestamp)? Reports
        missing records, the tail not copied yet, duplicates and records not from
        the source. Exit 0 only when every record arrived. --wait: check a partition
        whose tail is not copied yet again, until it is or the time is up. --since:
        only records with a timestamp at or after TIME (epoch ms or 2026-11-26T12:00:00Z).
  kmirror cutover <mm2.properties|connector.json> --group GROUP [--group GROUP...] [--commit]
        Guided move of consumer groups to the target: checks that the group's
        consumers are stopped on the source and absent on the target and that every
        committed position is replicated, shows the translated positions, and with
        --commit commits them on the target (never backwards) and reads them back.
  kmirror --version
  kmirror --help

Options:
  --log-level LEVEL   debug, info (default), warn or error
  --metrics-port N    serve GET /metrics and GET /health on port N (all interfaces)

Exit codes: 0 clean stop, 1 runtime failure, 2 bad arguments or configuration.
)";

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(kUsage, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version" || args[0] == "version") {
        std::printf("kmirror %s\n", KMIRROR_VERSION);
        return 0;
    }
    if (args[0] == "run") {
        return run_command(std::vector<std::string>(args.begin() + 1, args.end()));
    }
    if (args[0] == "worker") {
        return worker_command(std::vector<std::string>(args.begin() + 1, args.end()));
    }
    if (args[0] == "offsets") {
        return offsets_command(std::vector<std::string>(args.begin() + 1, args.end()));
    }
    if (args[0] == "cutover") {
        return cutover_command(std::vector<std::string>(args.begin() + 1, args.end()));
    }
    if (args[0] == "verify") {
        return verify_command(std::vector<std::string>(args.begin() + 1, args.end()));
    }
    std::fprintf(stderr, "kmirror: unknown command '%s' (try 'kmirror --help')\n", args[0].c_str());
    return 2;
}

} // namespace kmirror::app
