// GET /metrics on a real member: the Prometheus text format that Debian's
// promtool accepts, etcd's metric names, and values that move with the
// load (writes, watchers).

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

std::string Scrape(Cluster& c) {
  CommandResult r = RunCommand(
      {"curl", "-s", "-S", "-m", "10",
       "http://127.0.0.1:" + std::to_string(c.member(0).client_port) +
           "/metrics"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// Sample name (with labels) -> value.
std::map<std::string, double> Parse(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

// Family names from the "# TYPE" lines.
std::set<std::string> Families(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string hash, type, name;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    if (l >> hash >> type >> name && hash == "#" && type == "TYPE") {
      out.insert(name);
    }
  }
  return out;
}

TEST(MetricsTest, PromtoolAcceptsTheOutputAndNamesAreEtcds) {
  std::string error;
  auto cairn = Cluster::Start(Flavor::kCairn, 1, {}, &error);
  ASSERT_NE(cairn, nullptr) << error;
  auto etcd = Cluster::Start(Flavor::kEtcd, 1, {}, &error);
  ASSERT_NE(etcd, nullptr) << error;
  ASSERT_EQ(cairn->Etcdctl({"put", "a", "1"}).exit_code, 0);
  std::string text = Scrape(*cairn);
  const std::string etcd_text = Scrape(*etcd);
  // promtool accepts cairn's output as it is (etcd's own fails: its
  // histogram etcd_debugging_lease_ttl_total ends in "_total", which is
  // why cairn exports that one as cairn_debugging_lease_ttl_seconds).
  CommandResult lint = RunCommand({"promtool", "check", "metrics"}, text);
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "");
  // Every etcd_* family is one etcd 3.4 exports too (the peer byte
  // counters appear in etcd only once it has peers).
  std::set<std::string> theirs = Families(etcd_text);
  for (const std::string& name : Families(text)) {
    if (name.rfind("etcd_", 0) != 0) continue;
    if (name.rfind("etcd_network_peer_", 0) == 0) continue;
    EXPECT_EQ(theirs.count(name), 1u) << name << " is not an etcd metric";
  }
  for (const char* name : {"etcd_server_has_leader",
                           "etcd_server_leader_changes_seen_total",
                           "etcd_server_proposals_committed_total",
                           "etcd_server_proposals_applied_total",
                           "etcd_server_proposals_pending",
                           "etcd_server_proposals_failed_total",
                           "etcd_disk_wal_fsync_duration_seconds",
                           "etcd_disk_backend_commit_duration_seconds",
                           "etcd_mvcc_db_total_size_in_bytes",
                           "etcd_network_client_grpc_received_bytes_total",
                           "etcd_network_client_grpc_sent_bytes_total",
                           "etcd_network_peer_received_bytes_total",
                           "etcd_network_peer_sent_bytes_total",
                           "etcd_debugging_mvcc_watcher_total",
                           "grpc_server_handled_total",
                           "etcd_debugging_lease_granted_total",
                           "etcd_debugging_lease_revoked_total",
                           "etcd_debugging_lease_renewed_total",
                           "cairn_debugging_lease_ttl_seconds",
                           "etcd_server_health_success",
                           "etcd_server_health_failures",
                           "process_resident_memory_bytes"}) {
    EXPECT_EQ(Families(text).count(name), 1u) << name;
  }
}

TEST(MetricsTest, ValuesMoveWithWritesAndWatchers) {
  std::string error;
  auto c = Cluster::Start(Flavor::kCairn, 1, {}, &error);
  ASSERT_NE(c, nullptr) << error;
  auto before = Parse(Scrape(*c));
  EXPECT_EQ(before["etcd_server_has_leader"], 1);
  EXPECT_EQ(before["etcd_server_is_leader"], 1);
  EXPECT_GE(before["etcd_server_leader_changes_seen_total"], 1);
  EXPECT_GT(before["etcd_mvcc_db_total_size_in_bytes"], 0);
  EXPECT_EQ(before["etcd_debugging_mvcc_watcher_total"], 0);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(c->Etcdctl({"put", "k" + std::to_string(i), "v"}).exit_code, 0);
  }
  // A watcher, through etcdctl in the background.
  Process watch;
  ASSERT_TRUE(watch.Start(
      {"etcdctl", "--endpoints", c->Endpoints(0), "watch", "w", "--prefix"},
      c->dir() + "/watch.log", &error))
      << error;
  ASSERT_TRUE(WaitFor(
      [&] {
        return Parse(Scrape(*c))["etcd_debugging_mvcc_watcher_total"] == 1;
      },
      std::chrono::seconds(10)));
  auto after = Parse(Scrape(*c));
  EXPECT_EQ(after["etcd_debugging_mvcc_watch_stream_total"], 1);
  EXPECT_GE(after["etcd_server_proposals_applied_total"],
            before["etcd_server_proposals_applied_total"] + 5);
  EXPECT_GE(after["etcd_server_proposals_committed_total"],
            after["etcd_server_proposals_applied_total"]);
  EXPECT_GE(after["etcd_disk_wal_fsync_duration_seconds_count"],
            before["etcd_disk_wal_fsync_duration_seconds_count"] + 5);
  EXPECT_GE(after["etcd_disk_backend_commit_duration_seconds_count"],
            before["etcd_disk_backend_commit_duration_seconds_count"] + 5);
  EXPECT_EQ(after["etcd_disk_wal_fsync_duration_seconds_bucket{le=\"+Inf\"}"],
            after["etcd_disk_wal_fsync_duration_seconds_count"]);
  EXPECT_GT(after["etcd_network_client_grpc_received_bytes_total"],
            before["etcd_network_client_grpc_received_bytes_total"]);
  EXPECT_GT(after["etcd_network_client_grpc_sent_bytes_total"],
            before["etcd_network_client_grpc_sent_bytes_total"]);
  EXPECT_GE(after["grpc_server_handled_total{grpc_code=\"OK\",grpc_method="
                  "\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type="
                  "\"unary\"}"],
            5);
  EXPECT_EQ(after["etcd_debugging_mvcc_current_revision"], 6);
  // Leases: two grants (TTL 5 and 100), one keep-alive, one revoke; and
  // one /health check.
  auto lease_id = [&](int ttl) {
    std::string out =
        c->Etcdctl({"lease", "grant", std::to_string(ttl)}).out;  // "lease X"
    std::istringstream in(out);
    std::string word, id;
    in >> word >> id;
    return id;
  };
  const std::string five = lease_id(5);
  const std::string hundred = lease_id(100);
  ASSERT_FALSE(five.empty());
  ASSERT_EQ(c->Etcdctl({"lease", "keep-alive", "--once", hundred}).exit_code,
            0);
  ASSERT_EQ(c->Etcdctl({"lease", "revoke", five}).exit_code, 0);
  CommandResult health = RunCommand(
      {"curl", "-s", "-m", "10",
       "http://127.0.0.1:" + std::to_string(c->member(0).client_port) +
           "/health"});
  EXPECT_EQ(health.out, "{\"health\":\"true\"}");
  auto leases = Parse(Scrape(*c));
  EXPECT_EQ(leases["etcd_debugging_lease_granted_total"],
            after["etcd_debugging_lease_granted_total"] + 2);
  EXPECT_EQ(leases["etcd_debugging_lease_revoked_total"],
            after["etcd_debugging_lease_revoked_total"] + 1);
  EXPECT_EQ(leases["etcd_debugging_lease_renewed_total"],
            after["etcd_debugging_lease_renewed_total"] + 1);
  EXPECT_EQ(leases["cairn_debugging_lease_ttl_seconds_count"],
            after["cairn_debugging_lease_ttl_seconds_count"] + 2);
  EXPECT_EQ(leases["cairn_debugging_lease_ttl_seconds_sum"],
            after["cairn_debugging_lease_ttl_seconds_sum"] + 105);
  // TTL 5 falls in the le="8" bucket, 100 in le="128".
  EXPECT_EQ(leases["cairn_debugging_lease_ttl_seconds_bucket{le=\"8\"}"],
            after["cairn_debugging_lease_ttl_seconds_bucket{le=\"8\"}"] + 1);
  EXPECT_EQ(leases["cairn_debugging_lease_ttl_seconds_bucket{le=\"64\"}"],
            after["cairn_debugging_lease_ttl_seconds_bucket{le=\"64\"}"] + 1);
  EXPECT_EQ(leases["cairn_debugging_lease_ttl_seconds_bucket{le=\"128\"}"],
            after["cairn_debugging_lease_ttl_seconds_bucket{le=\"128\"}"] + 2);
  EXPECT_GE(leases["etcd_server_health_success"],
            after["etcd_server_health_success"] + 1);
  EXPECT_EQ(leases["etcd_server_health_failures"],
            after["etcd_server_health_failures"]);
  watch.Stop(SIGTERM);
  EXPECT_TRUE(WaitFor(
      [&] {
        return Parse(Scrape(*c))["etcd_debugging_mvcc_watcher_total"] == 0;
      },
      std::chrono::seconds(10)));
}

}  // namespace
}  // namespace e2e
