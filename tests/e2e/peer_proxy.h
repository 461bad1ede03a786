#pragma once

// PeerProxy: a fault-injecting TCP proxy between cluster members, on
// 127.0.0.1, for partition tests. Each member advertises a proxy port as its
// peer URL and listens on its real one; every member-to-member connection
// then passes through the proxy, which reads the peer handshake
// (docs/peer-protocol.md: preface, frame length, kind, cluster, from, to) to
// learn which member dials which, and drops connections between members a
// partition separates (open ones are closed, new ones closed after their
// handshake). It runs on a thread of its own.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace e2e {

class PeerProxy {
 public:
  // Forwards 127.0.0.1:listen_ports[i] to 127.0.0.1:target_ports[i].
  // Returns null (error in *error) if a port cannot be bound.
  static std::unique_ptr<PeerProxy> Start(const std::vector<int>& listen_ports,
                                          const std::vector<int>& target_ports,
                                          std::string* error);
  ~PeerProxy();
  PeerProxy(const PeerProxy&) = delete;
  PeerProxy& operator=(const PeerProxy&) = delete;

  // Cuts both directions between member `id` and every other member, by
  // member ID (as the handshake names them).
  void Isolate(uint64_t id);
  // Removes every cut.
  void Heal();
  // Connections relayed and refused so far.
  int relayed() const { return relayed_; }
  int refused() const { return refused_; }

 private:
  PeerProxy() = default;
  void Run();
  bool Blocked(uint64_t from, uint64_t to);

  struct Conn;
  std::vector<int> listen_fds_;
  std::vector<int> targets_;
  std::mutex mu_;
  std::set<uint64_t> isolated_;  // Guarded by mu_.
  std::atomic<bool> stop_{false};
  std::atomic<int> relayed_{0};
  std::atomic<int> refused_{0};
  std::thread thread_;
};

}  // namespace e2e
