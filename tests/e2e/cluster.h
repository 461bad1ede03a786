#pragma once

// A cluster of real member processes on 127.0.0.1 — cairn or, for side-by-side
// comparisons, Debian's etcd 3.4 — started with the same etcd flags, plus an
// etcdctl runner aimed at it. Data dirs live in one temp dir, removed when the
// cluster is destroyed (kept when the test failed, for inspection).

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/process.h"

namespace e2e {

enum class Flavor { kCairn, kEtcd };

// Path of the cairn binary (the build passes it in as CAIRN_BINARY).
std::string CairnBinary();

struct MemberInfo {
  std::string name;
  int client_port = 0;
  int peer_port = 0;
  // The peer port the member advertises (a proxy's), 0 for peer_port.
  int advertised_peer_port = 0;
  std::string data_dir;
  // Set for a member that joins a running cluster: its --initial-cluster
  // (all members, itself included), started with
  // --initial-cluster-state=existing.
  std::string join_initial_cluster;
  std::unique_ptr<Process> process;
};

class Cluster {
 public:
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts `size` members and waits until every one answers
  // `etcdctl endpoint health`. `extra_flags` go to every member.
  static std::unique_ptr<Cluster> Start(
      Flavor flavor, int size, const std::vector<std::string>& extra_flags,
      std::string* error);

  // Same, with the peer ports chosen by the caller: member i listens on
  // listen_peer_ports[i] and advertises advertised_peer_ports[i] (e.g. a
  // PeerProxy in front of it).
  static std::unique_ptr<Cluster> Start(
      Flavor flavor, int size, const std::vector<std::string>& extra_flags,
      const std::vector<int>& listen_peer_ports,
      const std::vector<int>& advertised_peer_ports, std::string* error);

  Flavor flavor() const { return flavor_; }
  int size() const { return static_cast<int>(members_.size()); }
  MemberInfo& member(int i) { return members_[static_cast<size_t>(i)]; }
  // "127.0.0.1:p" of member i; all of them, comma-separated, for -1.
  std::string Endpoints(int i = -1) const;

  // etcdctl (API v3) against member i (or all members for -1).
  CommandResult Etcdctl(const std::vector<std::string>& args,
                        const std::string& input = "", int member = -1) const;

  // Stops member i with `sig` (SIGKILL for a crash) and starts it again
  // with the same flags and data dir (--initial-cluster-state existing is not
  // needed: a member with data ignores the initial flags, as etcd does).
  void StopMember(int i, int sig);
  bool StartMember(int i, std::string* error);

  // Runtime membership: a new member slot (fresh ports and data dir, not
  // started; its name is `name`), its peer URL, and starting it to join
  // the running cluster with `initial_cluster` (what `etcdctl member add`
  // printed as ETCD_INITIAL_CLUSTER). Returns the new member's index.
  int NewMember(const std::string& name);
  std::string PeerUrl(int i) const;
  bool StartJoining(int i, const std::string& initial_cluster,
                    std::string* error);
  bool WaitHealthy(int i, std::chrono::milliseconds timeout);

  // What `etcdctl endpoint status -w json` says of member i; ok is false
  // when the member did not answer.
  struct Status {
    bool ok = false;
    uint64_t member_id = 0;
    uint64_t leader = 0;
    int64_t revision = 0;
    uint64_t raft_term = 0;
    uint64_t raft_index = 0;
    uint64_t applied_index = 0;
  };
  Status MemberStatus(int i) const;
  // The index of the member every running member names as leader, or -1.
  int Leader() const;
  // Waits until one leader is agreed on by every running member; its index.
  int WaitLeader(std::chrono::milliseconds timeout);
  // Waits until every running member reports the same revision and applied
  // index, then compares their `endpoint hashkv --rev` at that revision.
  // Returns "" when all agree, else what differs.
  std::string CheckConverged(std::chrono::milliseconds timeout);
  // The keys under `prefix` as member i sees them (a serializable read of
  // its own state).
  std::set<std::string> KeysOn(int i, const std::string& prefix) const;
  bool running(int i) {
    MemberInfo& m = member(i);
    return m.process && m.process->running();
  }

  // Keeps the data dirs after the cluster is destroyed.
  void KeepData() { keep_data_ = true; }
  const std::string& dir() const { return dir_; }

 private:
  Cluster() = default;
  std::vector<std::string> MemberArgs(int i) const;
  MemberInfo MakeMember(const std::string& name, int listen_peer_port,
                        int advertised_peer_port) const;

  Flavor flavor_ = Flavor::kCairn;
  std::string dir_;
  std::string token_;
  std::vector<std::string> extra_flags_;
  std::vector<MemberInfo> members_;
  bool keep_data_ = false;
};

// A member ID as etcdctl takes and prints it (lower-case hex).
std::string HexId(uint64_t id);

// Replaces what differs between two runs of the same commands — member and
// cluster IDs, raft terms, timings — with placeholders, so the output of
// etcdctl against cairn and against etcd can be compared byte for byte.
std::string NormalizeEtcdctlOutput(const std::string& text);

}  // namespace e2e
