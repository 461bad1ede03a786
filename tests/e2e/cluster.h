#pragma once

// A cluster of real member processes on 127.0.0.1 — cairn or, for side-by-side
// comparisons, Debian's etcd 3.4 — started with the same etcd flags, plus an
// etcdctl runner aimed at it. Data dirs live in one temp dir, removed when the
// cluster is destroyed (kept when the test failed, for inspection).

#include <memory>
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
  std::string data_dir;
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
  bool WaitHealthy(int i, std::chrono::milliseconds timeout);

  // Keeps the data dirs after the cluster is destroyed.
  void KeepData() { keep_data_ = true; }
  const std::string& dir() const { return dir_; }

 private:
  Cluster() = default;
  std::vector<std::string> MemberArgs(int i) const;

  Flavor flavor_ = Flavor::kCairn;
  std::string dir_;
  std::string token_;
  std::vector<std::string> extra_flags_;
  std::vector<MemberInfo> members_;
  bool keep_data_ = false;
};

// Replaces what differs between two runs of the same commands — member and
// cluster IDs, raft terms, timings — with placeholders, so the output of
// etcdctl against cairn and against etcd can be compared byte for byte.
std::string NormalizeEtcdctlOutput(const std::string& text);

}  // namespace e2e
