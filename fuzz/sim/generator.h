#pragma once

// Generator: draws a schedule from a seed, one event at a time.
//
// It looks at the cluster (ClusterView) to make useful choices (handle a
// Ready that exists, restart a crashed node, isolate or crash the current
// leader), but the events it returns are plain values: the simulator
// records them, and replaying the recorded schedule needs no generator.
//
// Swarm testing (Groce et al., ISSTA 2012): each seed draws its own
// profile, i.e. how often faults happen, which kinds are weighted up or left
// out, how long partitions and crashes last, how busy the clients are. One
// fixed mix would make some schedules (a stale leader serving reads through
// a long partition; a leader crashing between two appends) very unlikely;
// varied profiles make each likely under some seeds.
//
// Within a profile, deliveries dominate (elections and replication must
// make progress between faults), then Ready handling and ticks (each node
// at its own rate when skew is on). Partitions last a drawn number of
// events and then heal, except in flapping phases that toggle every few
// dozen events; crashed nodes restart after a drawn delay.
//
// Thread safety: none.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/sim/network.h"
#include "fuzz/sim/options.h"
#include "fuzz/sim/prng.h"
#include "fuzz/sim/schedule.h"

namespace fuzz::sim {

struct ClusterView {
  int nodes = 0;
  size_t in_flight = 0;
  int leader = -1;  // Index of a node that believes it leads, or -1.
  bool alive[kMaxNodes] = {};
  bool has_ready[kMaxNodes] = {};
};

// The per-seed mix of events; weights are per mille of events.
struct Profile {
  int fault_permille = 20;
  int crash_weight = 1;  // Relative weights among faults.
  int partition_weight = 2;
  int snapshot_weight = 1;
  int transfer_weight = 1;
  int campaign_weight = 1;
  int propose_permille = 50;
  int read_permille = 30;
  int partition_min = 100;  // Events a partition lasts: [min, max).
  int partition_max = 1000;
  int crash_min = 5;  // Events a crashed node stays down: [min, max).
  int crash_max = 300;

  std::string ToString() const;
};

class Generator {
 public:
  explicit Generator(const SimOptions& options);

  Event Next(const ClusterView& view);
  const Profile& profile() const { return profile_; }

 private:
  Event Fault(const ClusterView& view);
  Event PartitionEvent(const ClusterView& view);
  uint8_t PickNode(const ClusterView& view, bool alive_only);
  uint8_t TickNode();
  int Between(int lo, int hi) {
    return lo + static_cast<int>(rng_.Uniform(static_cast<uint64_t>(hi - lo)));
  }

  const SimOptions& options_;
  Prng rng_;
  Profile profile_;
  int64_t now_ = 0;
  int tick_weight_[kMaxNodes] = {};
  int tick_weight_sum_ = 0;
  int64_t restart_at_[kMaxNodes] = {};  // 0 = not scheduled.
  int64_t heal_at_ = 0;                 // 0 = no partition.
  int64_t cut_at_ = 0;                  // Next cut of a flapping phase.
  int flapping_left_ = 0;               // Cuts left in a flapping phase.
};

}  // namespace fuzz::sim
