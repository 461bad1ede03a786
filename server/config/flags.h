#pragma once

// The cairn command line and config file. Flags keep etcd's names and
// meanings (--name, --data-dir, --listen-client-urls, ...); a single leading
// dash works too ("-name"), as with etcd's Go flags. --config-file reads a
// YAML file with the same keys, and then, as in etcd, the other flags are
// ignored. Every value also reads from the environment as CAIRN_<FLAG>
// (CAIRN_DATA_DIR), below the command line.
//
// This file is the boundary where CLI11's and yaml-cpp's exceptions become
// Statuses; nothing else in the server sees them.

#include <string>
#include <vector>

#include "base/result.h"
#include "server/config/config.h"

namespace server {

struct ParsedCommandLine {
  ServerConfig config;
  // Set for --help and --version: print `output` to stdout and exit 0.
  bool exit_now = false;
  std::string output;
};

// Parses argv (argv[0] is the program name), reads --config-file when given,
// applies defaults and validates. The error is one line naming the flag or
// key and the reason; main prints it and exits 1.
base::Result<ParsedCommandLine> ParseCommandLine(
    const std::vector<std::string>& args);

// Reads a YAML config file into *config (over its current values). Unknown
// keys are refused, naming the key; etcd keys cairn does not implement yet
// are listed in the warning written to *warnings.
base::Status LoadConfigFile(const std::string& path, ServerConfig* config,
                            std::vector<std::string>* warnings);

// Parses a Go-style duration ("10m", "1h30m", "500ms", "90s") into
// milliseconds. A bare number is refused (units are required).
base::Result<uint64_t> ParseDurationMs(std::string_view text);

}  // namespace server
