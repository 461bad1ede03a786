#pragma once

// Network: the simulated links between nodes.
//
// Messages sent by nodes wait in one in-flight list, oldest first, until a
// schedule event delivers, drops or duplicates one of them by position;
// delivering from the front keeps FIFO order, delivering from elsewhere
// reorders, and leaving messages waiting delays them. Partitions are a
// matrix of blocked directed links, consulted at delivery time: a message
// whose link is down when it would arrive is lost.
//
// Thread safety: none.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "proto/raftpb/raftpb.h"

namespace fuzz::sim {

inline constexpr int kMaxNodes = 7;

class Network {
 public:
  explicit Network(int nodes) : nodes_(nodes) {}

  void Send(raftpb::Message m) { in_flight_.push_back(std::move(m)); }
  size_t size() const { return in_flight_.size(); }
  const std::vector<raftpb::Message>& in_flight() const { return in_flight_; }

  // Removes and returns message k % size(); nullopt when none is in flight.
  std::optional<raftpb::Message> Take(size_t k);
  // Appends a copy of message k % size(); false when none is in flight.
  bool Duplicate(size_t k);

  // Whether a message from node index `from` to `to` would be lost.
  bool Blocked(int from, int to) const { return blocked_[from][to]; }

  // Node indexes in `mask` form side A, the others side B.
  // Symmetric: no traffic between A and B.
  void Partition(uint32_t mask);
  // One-way: traffic from A to B is lost; B to A gets through.
  void PartitionOneWay(uint32_t mask);
  // Like Partition, but `bridge` talks to everyone.
  void PartitionBridge(uint32_t mask, int bridge);
  // All links up.
  void Heal();
  bool Healed() const;

 private:
  bool InA(uint32_t mask, int i) const { return (mask >> i & 1) != 0; }

  int nodes_;
  std::vector<raftpb::Message> in_flight_;
  bool blocked_[kMaxNodes][kMaxNodes] = {};
};

}  // namespace fuzz::sim
