#include "server/config/config.h"

#include <charconv>
#include <set>

namespace server {
namespace {

constexpr uint64_t kMaxElectionMs = 50000;

base::Status Invalid(std::string m) {
  return base::Status::InvalidArgument(std::move(m));
}

base::Status CheckBindUrls(const std::vector<Url>& urls) {
  for (const Url& u : urls) {
    if (u.host != "localhost" && !IsIpLiteral(u.host)) {
      return Invalid("expected IP in URL for binding (" + u.ToString() + ")");
    }
    if (u.scheme == "https") {
      return Invalid("TLS is not supported yet (" + u.ToString() + ")");
    }
  }
  return base::Status::OK();
}

// Cairn dials peers without resolving names (etcd resolves them): a peer
// URL other members dial must hold an IP address or "localhost".
base::Status CheckPeerUrls(const char* flag, const std::vector<Url>& urls) {
  for (const Url& u : urls) {
    if (u.host != "localhost" && !IsIpLiteral(u.host)) {
      return Invalid("expected IP in URL for peers (" + u.ToString() + ") in " +
                     flag +
                     ": cairn does not resolve host names, use an IP "
                     "address or localhost");
    }
  }
  return base::Status::OK();
}

base::Result<uint64_t> ParseUint(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return Invalid("invalid number \"" + std::string(s) + "\"");
  }
  return v;
}

}  // namespace

ServerConfig DefaultServerConfig() {
  ServerConfig c;
  c.listen_client_urls = {Url{"http", "127.0.0.1", 2379}};
  c.advertise_client_urls = {Url{"http", "127.0.0.1", 2379}};
  c.listen_peer_urls = {Url{"http", "127.0.0.1", 2380}};
  c.initial_advertise_peer_urls = {Url{"http", "127.0.0.1", 2380}};
  return c;
}

base::Result<std::vector<InitialMember>> ParseInitialCluster(
    std::string_view text) {
  std::vector<InitialMember> members;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : comma - start);
    // An empty name is allowed, as etcd allows it: `etcdctl member add`
    // prints "=url" for a member that has not started yet.
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Invalid("--initial-cluster: \"" + std::string(item) +
                     "\" is not name=url");
    }
    std::string name(item.substr(0, eq));
    CAIRN_ASSIGN_OR_RETURN(Url url, ParseUrl(item.substr(eq + 1)));
    InitialMember* m = nullptr;
    for (InitialMember& existing : members) {
      if (existing.name == name) m = &existing;
    }
    if (m == nullptr) {
      members.push_back(InitialMember{name, {}});
      m = &members.back();
    }
    m->peer_urls.push_back(std::move(url));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return members;
}

std::string FormatInitialCluster(const std::vector<InitialMember>& members) {
  std::string s;
  for (const InitialMember& m : members) {
    for (const Url& u : m.peer_urls) {
      if (!s.empty()) s += ",";
      s += m.name + "=" + u.ToString();
    }
  }
  return s;
}

base::Result<uint64_t> ParseCompactionRetention(CompactionMode mode,
                                                std::string_view text) {
  if (mode == CompactionMode::kRevision) {
    auto v = ParseUint(text);
    if (!v.ok()) {
      return Invalid("invalid auto-compaction-retention \"" +
                     std::string(text) + "\" for mode revision");
    }
    return *v;
  }
  // Periodic: a bare number means hours (etcd); otherwise <n>h|m|s.
  uint64_t unit_ms = 3600 * 1000;
  std::string_view digits = text;
  if (!text.empty() &&
      (text.back() == 'h' || text.back() == 'm' || text.back() == 's')) {
    unit_ms = text.back() == 'h'   ? 3600 * 1000
              : text.back() == 'm' ? 60000
                                   : 1000;
    digits.remove_suffix(1);
  }
  auto v = ParseUint(digits);
  if (!v.ok()) {
    return Invalid("invalid auto-compaction-retention \"" + std::string(text) +
                   "\" for mode periodic");
  }
  return *v * unit_ms;
}

base::Status Validate(ServerConfig* c) {
  if (c->name.empty()) return Invalid("--name must not be empty");
  CAIRN_RETURN_IF_ERROR(CheckBindUrls(c->listen_peer_urls));
  CAIRN_RETURN_IF_ERROR(CheckBindUrls(c->listen_client_urls));
  if (c->listen_client_urls.empty() || c->listen_peer_urls.empty()) {
    return Invalid(
        "--listen-client-urls and --listen-peer-urls must not be "
        "empty");
  }
  if (c->listen_client_urls_set && !c->advertise_client_urls_set) {
    return Invalid(
        "--advertise-client-urls is required when "
        "--listen-client-urls is set explicitly");
  }
  if (c->heartbeat_interval_ms == 0) {
    return Invalid("--heartbeat-interval must be >0 (set to 0ms)");
  }
  if (c->election_timeout_ms == 0) {
    return Invalid("--election-timeout must be >0 (set to 0ms)");
  }
  if (5 * c->heartbeat_interval_ms > c->election_timeout_ms) {
    return Invalid("--election-timeout[" +
                   std::to_string(c->election_timeout_ms) +
                   "ms] should be at least as 5 times as "
                   "--heartbeat-interval[" +
                   std::to_string(c->heartbeat_interval_ms) + "ms]");
  }
  if (c->election_timeout_ms > kMaxElectionMs) {
    return Invalid("--election-timeout[" +
                   std::to_string(c->election_timeout_ms) +
                   "ms] is too long, and should be set less than " +
                   std::to_string(kMaxElectionMs) + "ms");
  }
  if (c->snapshot_count == 0) return Invalid("--snapshot-count must be >0");
  if (c->max_request_bytes == 0) {
    return Invalid("--max-request-bytes must be >0");
  }
  if (c->max_txn_ops == 0) return Invalid("--max-txn-ops must be >0");
  if (c->quota_backend_bytes < 0) {
    return Invalid("--quota-backend-bytes must be >=0");
  }
  auto retention = ParseCompactionRetention(c->auto_compaction_mode,
                                            c->auto_compaction_retention);
  if (!retention.ok()) return retention.status();

  if (c->initial_cluster.empty()) {
    c->initial_cluster = {
        InitialMember{c->name, c->initial_advertise_peer_urls}};
  }
  CAIRN_RETURN_IF_ERROR(CheckPeerUrls("--initial-advertise-peer-urls",
                                      c->initial_advertise_peer_urls));
  for (const InitialMember& m : c->initial_cluster) {
    if (m.name.empty() && c->initial_cluster_state == ClusterState::kNew) {
      return Invalid(
          "--initial-cluster: a member of a new cluster needs a "
          "name (" +
          JoinUrls(m.peer_urls) + ")");
    }
  }
  const InitialMember* self = nullptr;
  std::set<std::string> seen_urls;
  for (const InitialMember& m : c->initial_cluster) {
    CAIRN_RETURN_IF_ERROR(CheckPeerUrls("--initial-cluster", m.peer_urls));
    if (m.name == c->name) self = &m;
    for (const Url& u : m.peer_urls) {
      if (!seen_urls.insert(u.ToString()).second) {
        return Invalid("--initial-cluster has duplicate url " + u.ToString());
      }
    }
  }
  if (self == nullptr) {
    return Invalid("couldn't find local name \"" + c->name +
                   "\" in the initial cluster configuration");
  }
  std::set<std::string> want;
  for (const Url& u : self->peer_urls) want.insert(u.ToString());
  std::set<std::string> have;
  for (const Url& u : c->initial_advertise_peer_urls) {
    have.insert(u.ToString());
  }
  if (want != have) {
    return Invalid("--initial-cluster has " + c->name + "=" +
                   JoinUrls(self->peer_urls) +
                   " but missing from --initial-advertise-peer-urls=" +
                   JoinUrls(c->initial_advertise_peer_urls));
  }
  if (c->initial_cluster_token.empty()) {
    return Invalid("--initial-cluster-token must not be empty");
  }
  return base::Status::OK();
}

}  // namespace server
