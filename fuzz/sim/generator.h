#pragma once

// Generator: draws a schedule from a seed, one event at a time.
//
// It looks at the cluster (ClusterView) to make useful choices (handle a
// Ready that exists, restart a crashed node, isolate the current leader),
// but the events it returns are plain values: the simulator records them,
// and replaying the recorded schedule needs no generator.
//
// The mix, per event: deliveries dominate (about 30 messages per node tick,
// so elections and replication make progress between faults), then Ready
// handling and ticks (each node at its own rate when skew is on), client
// requests, and rarer faults. Partitions come in phases: stable ones and
// flapping ones that toggle every few dozen events.
//
// Thread safety: none.

#include <cstddef>
#include <cstdint>

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

class Generator {
 public:
  explicit Generator(const SimOptions& options);

  Event Next(const ClusterView& view);

 private:
  Event Fault(const ClusterView& view);
  Event PartitionEvent(const ClusterView& view);
  uint8_t PickNode(const ClusterView& view, bool alive_only);
  uint8_t TickNode();

  const SimOptions& options_;
  Prng rng_;
  int tick_weight_[kMaxNodes] = {};
  int tick_weight_sum_ = 0;
  int flapping_left_ = 0;  // Toggles left in a flapping phase.
  int flap_countdown_ = 0;
  bool partitioned_ = false;
};

}  // namespace fuzz::sim
