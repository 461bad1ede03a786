#include "server/config/flags.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>

namespace server {
namespace {

using Setter = std::function<base::Status(ServerConfig*, const std::string&)>;

struct Option {
  const char* name;  // Flag name without dashes; also the YAML key.
  const char* help;
  Setter set;
};

base::Status BadValue(const char* flag, const std::string& value,
                      const std::string& why) {
  return base::Status::InvalidArgument("invalid value \"" + value +
                                       "\" for flag --" + flag + ": " + why);
}

base::Result<uint64_t> ToUint(const char* flag, const std::string& v) {
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
    return BadValue(flag, v, "not a non-negative integer");
  }
  return out;
}

Setter Str(std::string ServerConfig::*field) {
  return [field](ServerConfig* c, const std::string& v) {
    c->*field = v;
    return base::Status::OK();
  };
}

Setter Uint(const char* flag, uint64_t ServerConfig::*field) {
  return [flag, field](ServerConfig* c, const std::string& v) {
    CAIRN_ASSIGN_OR_RETURN(c->*field, ToUint(flag, v));
    return base::Status::OK();
  };
}

Setter Urls(const char* flag, std::vector<Url> ServerConfig::*field,
            bool ServerConfig::*set_flag = nullptr) {
  return [flag, field, set_flag](ServerConfig* c, const std::string& v) {
    auto urls = ParseUrlList(v);
    if (!urls.ok()) return BadValue(flag, v, urls.status().message());
    c->*field = std::move(urls).value();
    if (set_flag != nullptr) c->*set_flag = true;
    return base::Status::OK();
  };
}

const std::vector<Option>& Options() {
  static const std::vector<Option>* options = new std::vector<Option>{
      {"name", "Human-readable name for this member.",
       Str(&ServerConfig::name)},
      {"data-dir", "Path to the data directory (default \"<name>.cairn\").",
       Str(&ServerConfig::data_dir)},
      {"listen-client-urls", "URLs to listen on for client traffic.",
       Urls("listen-client-urls", &ServerConfig::listen_client_urls,
            &ServerConfig::listen_client_urls_set)},
      {"advertise-client-urls", "Client URLs to advertise to the cluster.",
       Urls("advertise-client-urls", &ServerConfig::advertise_client_urls,
            &ServerConfig::advertise_client_urls_set)},
      {"listen-peer-urls", "URLs to listen on for peer traffic.",
       Urls("listen-peer-urls", &ServerConfig::listen_peer_urls)},
      {"initial-advertise-peer-urls", "This member's peer URLs to advertise.",
       Urls("initial-advertise-peer-urls",
            &ServerConfig::initial_advertise_peer_urls)},
      {"initial-cluster", "Initial cluster configuration for bootstrapping.",
       [](ServerConfig* c, const std::string& v) {
         auto m = ParseInitialCluster(v);
         if (!m.ok())
           return BadValue("initial-cluster", v, m.status().message());
         c->initial_cluster = std::move(m).value();
         return base::Status::OK();
       }},
      {"initial-cluster-state", "Initial cluster state ('new' or 'existing').",
       [](ServerConfig* c, const std::string& v) {
         if (v == "new") {
           c->initial_cluster_state = ClusterState::kNew;
         } else if (v == "existing") {
           c->initial_cluster_state = ClusterState::kExisting;
         } else {
           return BadValue("initial-cluster-state", v,
                           "valid values are \"new\", \"existing\"");
         }
         return base::Status::OK();
       }},
      {"initial-cluster-token", "Initial cluster token used at bootstrap.",
       Str(&ServerConfig::initial_cluster_token)},
      {"snapshot-count", "Applied entries that trigger a snapshot to disk.",
       Uint("snapshot-count", &ServerConfig::snapshot_count)},
      {"experimental-snapshot-catchup-entries",
       "Number of entries for a slow follower to catch up after compacting "
       "the raft storage entries.",
       Uint("experimental-snapshot-catchup-entries",
            &ServerConfig::snapshot_catchup_entries)},
      {"heartbeat-interval", "Time (in milliseconds) of a heartbeat interval.",
       Uint("heartbeat-interval", &ServerConfig::heartbeat_interval_ms)},
      {"election-timeout", "Time (in milliseconds) for an election to timeout.",
       Uint("election-timeout", &ServerConfig::election_timeout_ms)},
      {"quota-backend-bytes",
       "Raise alarms when backend size exceeds the given quota (0 = 2 GiB).",
       [](ServerConfig* c, const std::string& v) {
         CAIRN_ASSIGN_OR_RETURN(uint64_t q, ToUint("quota-backend-bytes", v));
         c->quota_backend_bytes = static_cast<int64_t>(q);
         return base::Status::OK();
       }},
      {"max-request-bytes", "Maximum client request size in bytes.",
       Uint("max-request-bytes", &ServerConfig::max_request_bytes)},
      {"max-txn-ops", "Maximum number of operations permitted in a txn.",
       Uint("max-txn-ops", &ServerConfig::max_txn_ops)},
      {"auto-compaction-mode", "periodic|revision.",
       [](ServerConfig* c, const std::string& v) {
         if (v == "periodic" || v.empty()) {
           c->auto_compaction_mode = CompactionMode::kPeriodic;
         } else if (v == "revision") {
           c->auto_compaction_mode = CompactionMode::kRevision;
         } else {
           return base::Status::InvalidArgument(
               "unknown auto-compaction-mode \"" + v + "\"");
         }
         return base::Status::OK();
       }},
      {"auto-compaction-retention",
       "Auto compaction retention (0 disables; hours when unitless).",
       Str(&ServerConfig::auto_compaction_retention)},
      {"experimental-watch-progress-notify-interval",
       "Duration of periodic watch progress notifications.",
       [](ServerConfig* c, const std::string& v) {
         auto ms = ParseDurationMs(v);
         if (!ms.ok()) {
           return BadValue("experimental-watch-progress-notify-interval", v,
                           ms.status().message());
         }
         c->watch_progress_notify_interval_ms = *ms;
         return base::Status::OK();
       }},
      {"log-level", "debug, info, warn or error.",
       [](ServerConfig* c, const std::string& v) {
         if (!base::ParseLogLevel(v, &c->log_level)) {
           return BadValue("log-level", v,
                           "valid values are debug, info, warn, error");
         }
         return base::Status::OK();
       }},
  };
  return *options;
}

// etcd config-file keys cairn accepts but does not act on yet.
bool IsIgnoredEtcdKey(const std::string& key) {
  static const char* const kKeys[] = {"wal-dir",
                                      "max-snapshots",
                                      "max-wals",
                                      "enable-v2",
                                      "enable-pprof",
                                      "strict-reconfig-check",
                                      "logger",
                                      "log-outputs",
                                      "metrics",
                                      "client-transport-security",
                                      "peer-transport-security",
                                      "proxy",
                                      "discovery",
                                      "debug",
                                      "initial-election-tick-advance",
                                      "enable-grpc-gateway"};
  for (const char* k : kKeys) {
    if (key == k) return true;
  }
  return false;
}

std::string EnvName(const char* flag) {
  std::string env = "CAIRN_";
  for (const char* p = flag; *p != '\0'; ++p) {
    env += *p == '-' ? '_' : static_cast<char>(std::toupper(*p));
  }
  return env;
}

}  // namespace

base::Result<uint64_t> ParseDurationMs(std::string_view text) {
  if (text.empty()) return base::Status::InvalidArgument("empty duration");
  uint64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc()) {
      return base::Status::InvalidArgument("invalid duration \"" +
                                           std::string(text) + "\"");
    }
    rest.remove_prefix(static_cast<size_t>(end - rest.data()));
    uint64_t unit = 0;
    if (rest.starts_with("ms")) {
      unit = 1;
      rest.remove_prefix(2);
    } else if (rest.starts_with("h")) {
      unit = 3600 * 1000;
      rest.remove_prefix(1);
    } else if (rest.starts_with("m")) {
      unit = 60 * 1000;
      rest.remove_prefix(1);
    } else if (rest.starts_with("s")) {
      unit = 1000;
      rest.remove_prefix(1);
    } else {
      return base::Status::InvalidArgument("missing unit in duration \"" +
                                           std::string(text) + "\"");
    }
    total += n * unit;
  }
  return total;
}

base::Status LoadConfigFile(const std::string& path, ServerConfig* config,
                            std::vector<std::string>* warnings) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return base::Status::InvalidArgument("cannot read config file " + path);
  } catch (const YAML::Exception& e) {
    return base::Status::InvalidArgument("config file " + path + ": " +
                                         e.what());
  }
  if (root.IsNull()) return base::Status::OK();
  if (!root.IsMap()) {
    return base::Status::InvalidArgument("config file " + path +
                                         ": expected a mapping of keys");
  }
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>("");
    const Option* opt = nullptr;
    for (const Option& o : Options()) {
      if (key == o.name) opt = &o;
    }
    if (opt == nullptr) {
      if (IsIgnoredEtcdKey(key)) {
        warnings->push_back("config file " + path + ": key \"" + key +
                            "\" is not supported by cairn yet; ignored");
        continue;
      }
      return base::Status::InvalidArgument("config file " + path +
                                           ": unknown key \"" + key + "\"");
    }
    if (!kv.second.IsScalar()) {
      return base::Status::InvalidArgument("config file " + path + ": key \"" +
                                           key + "\" must be a scalar");
    }
    base::Status s = opt->set(config, kv.second.Scalar());
    if (!s.ok()) return s.Annotate("config file " + path);
  }
  return base::Status::OK();
}

base::Result<ParsedCommandLine> ParseCommandLine(
    const std::vector<std::string>& args) {
  CLI::App app{"cairn: a replicated key-value store speaking the etcd v3 API",
               "cairn"};
  app.set_version_flag("--version", "cairn 0.1.0 (etcd API 3.4)");
  std::map<std::string, std::string> given;
  for (const Option& o : Options()) {
    app.add_option_function<std::string>(
           std::string("--") + o.name,
           [&given, &o](const std::string& v) { given[o.name] = v; }, o.help)
        ->envname(EnvName(o.name))
        // Go's flag package: a flag given twice takes the last value.
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  std::string config_file;
  app.add_option("--config-file", config_file,
                 "YAML configuration file; other flags are then ignored.")
      ->envname("CAIRN_CONFIG_FILE");

  // Go's flag package takes "-name" as well as "--name".
  std::vector<std::string> argv;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 2 && a[0] == '-' && a[1] != '-') {
      argv.push_back("-" + a);
    } else {
      argv.push_back(a);
    }
  }
  std::reverse(argv.begin(), argv.end());  // CLI11 parses a reversed vector.
  ParsedCommandLine out;
  try {
    app.parse(argv);
  } catch (const CLI::CallForHelp& e) {
    out.exit_now = true;
    out.output = app.help();
    return out;
  } catch (const CLI::CallForVersion& e) {
    out.exit_now = true;
    out.output = app.version() + "\n";
    return out;
  } catch (const CLI::ParseError& e) {
    return base::Status::InvalidArgument(e.what());
  }

  out.config = DefaultServerConfig();
  if (!config_file.empty()) {
    std::vector<std::string> warnings;
    CAIRN_RETURN_IF_ERROR(LoadConfigFile(config_file, &out.config, &warnings));
    for (const std::string& w : warnings)
      CAIRN_LOG(kWarn, "config", "%s", w.c_str());
    out.config.config_file = config_file;
  } else {
    for (const Option& o : Options()) {
      auto it = given.find(o.name);
      if (it != given.end()) {
        CAIRN_RETURN_IF_ERROR(o.set(&out.config, it->second));
      }
    }
  }
  CAIRN_RETURN_IF_ERROR(Validate(&out.config));
  return out;
}

}  // namespace server
