#pragma once

// ServerConfig: everything a member is started with, under etcd's flag names
// and meanings (etcd embed.Config), so an operator who runs etcd can run
// cairn. Filled from the command line or a YAML config file (flags.h), then
// checked by Validate(), whose messages are etcd's where etcd has one.

#include <cstdint>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/status.h"
#include "server/config/url.h"

namespace server {

enum class ClusterState { kNew, kExisting };
enum class CompactionMode { kPeriodic, kRevision };

// One "name=url" group of --initial-cluster; a name may repeat to give one
// member several peer URLs, as etcd allows.
struct InitialMember {
  std::string name;
  std::vector<Url> peer_urls;
};

struct ServerConfig {
  std::string name = "default";
  // Empty means "<name>.cairn" (etcd: "<name>.etcd"); see DataDir().
  std::string data_dir;
  std::vector<Url> listen_client_urls;
  std::vector<Url> advertise_client_urls;
  std::vector<Url> listen_peer_urls;
  std::vector<Url> initial_advertise_peer_urls;
  // Empty means "<name>=<initial-advertise-peer-urls>", as etcd does.
  std::vector<InitialMember> initial_cluster;
  ClusterState initial_cluster_state = ClusterState::kNew;
  std::string initial_cluster_token = "etcd-cluster";

  // Applied entries between two snapshots of the state machine.
  uint64_t snapshot_count = 100000;
  // Entries kept in memory behind a snapshot for slow followers (etcd 3.5's
  // --experimental-snapshot-catchup-entries); a follower further behind
  // catches up by snapshot.
  uint64_t snapshot_catchup_entries = 5000;
  // Milliseconds; raft ticks once per heartbeat interval.
  uint64_t heartbeat_interval_ms = 100;
  uint64_t election_timeout_ms = 1000;

  // 0 means the default quota, 2 GiB, as in etcd.
  int64_t quota_backend_bytes = 0;
  uint64_t max_request_bytes = 1572864;  // 1.5 MiB.
  uint64_t max_txn_ops = 128;

  CompactionMode auto_compaction_mode = CompactionMode::kPeriodic;
  // "0" disables; periodic takes a duration ("5m", or hours when unitless),
  // revision a count. See AutoCompactionRetention*().
  std::string auto_compaction_retention = "0";
  // Milliseconds between watch progress notifications (etcd's
  // --experimental-watch-progress-notify-interval, default 10 minutes).
  uint64_t watch_progress_notify_interval_ms = 10 * 60 * 1000;

  base::LogLevel log_level = base::LogLevel::kInfo;
  // Set when the configuration came from --config-file.
  std::string config_file;

  // Whether each URL list was given explicitly (etcd refuses an explicit
  // --listen-client-urls without --advertise-client-urls).
  bool listen_client_urls_set = false;
  bool advertise_client_urls_set = false;

  // The data directory with its default applied.
  std::string DataDir() const {
    return data_dir.empty() ? name + ".cairn" : data_dir;
  }
  // The quota with its default applied.
  int64_t QuotaBackendBytes() const {
    return quota_backend_bytes == 0 ? int64_t{2} << 30 : quota_backend_bytes;
  }
  // Raft ticks in an election timeout.
  int ElectionTicks() const {
    return static_cast<int>(election_timeout_ms / heartbeat_interval_ms);
  }
};

// A config holding etcd's defaults, on 127.0.0.1 (etcd says localhost, which
// resolves there): clients on :2379, peers on :2380.
ServerConfig DefaultServerConfig();

// Parses --initial-cluster ("n1=http://a:2380,n2=http://b:2380").
base::Result<std::vector<InitialMember>> ParseInitialCluster(
    std::string_view text);
std::string FormatInitialCluster(const std::vector<InitialMember>& members);

// Parses --auto-compaction-retention for the mode: a revision count, or a
// duration in milliseconds ("1h", "30m", "90s", or a bare number of hours).
base::Result<uint64_t> ParseCompactionRetention(CompactionMode mode,
                                                std::string_view text);

// Fills defaults that depend on other fields (initial cluster) and checks the
// whole config. Errors are one line, etcd's wording where etcd has one.
base::Status Validate(ServerConfig* config);

}  // namespace server
