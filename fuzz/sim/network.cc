#include "fuzz/sim/network.h"

namespace fuzz::sim {

std::optional<raftpb::Message> Network::Take(size_t k) {
  if (in_flight_.empty()) return std::nullopt;
  auto it = in_flight_.begin() + static_cast<ptrdiff_t>(k % in_flight_.size());
  raftpb::Message m = std::move(*it);
  in_flight_.erase(it);
  return m;
}

bool Network::Duplicate(size_t k) {
  if (in_flight_.empty()) return false;
  raftpb::Message copy = in_flight_[k % in_flight_.size()];
  in_flight_.push_back(std::move(copy));
  return true;
}

void Network::Partition(uint32_t mask) {
  Heal();
  for (int i = 0; i < nodes_; ++i) {
    for (int j = 0; j < nodes_; ++j) {
      blocked_[i][j] = InA(mask, i) != InA(mask, j);
    }
  }
}

void Network::PartitionOneWay(uint32_t mask) {
  Heal();
  for (int i = 0; i < nodes_; ++i) {
    for (int j = 0; j < nodes_; ++j) {
      blocked_[i][j] = InA(mask, i) && !InA(mask, j);
    }
  }
}

void Network::PartitionBridge(uint32_t mask, int bridge) {
  Partition(mask);
  for (int i = 0; i < nodes_; ++i) {
    blocked_[i][bridge] = false;
    blocked_[bridge][i] = false;
  }
}

void Network::Heal() {
  for (auto& row : blocked_) {
    for (bool& b : row) b = false;
  }
}

bool Network::Healed() const {
  for (const auto& row : blocked_) {
    for (bool b : row) {
      if (b) return false;
    }
  }
  return true;
}

}  // namespace fuzz::sim
