#include "fuzz/sim/generator.h"

namespace fuzz::sim {

Generator::Generator(const SimOptions& options)
    : options_(options), rng_(options.seed ^ 0x5ca1ab1eULL) {
  for (int i = 0; i < options_.nodes; ++i) {
    // Rates 2..5 with skew: the fastest node ticks 2.5x as often.
    tick_weight_[i] =
        options_.faults.tick_skew ? 2 + static_cast<int>(rng_.Uniform(4)) : 1;
    tick_weight_sum_ += tick_weight_[i];
  }
}

uint8_t Generator::PickNode(const ClusterView& view, bool alive_only) {
  if (alive_only) {
    int alive = 0;
    for (int i = 0; i < view.nodes; ++i) alive += view.alive[i] ? 1 : 0;
    if (alive > 0) {
      uint64_t k = rng_.Uniform(static_cast<uint64_t>(alive));
      for (int i = 0; i < view.nodes; ++i) {
        if (view.alive[i] && k-- == 0) return static_cast<uint8_t>(i);
      }
    }
  }
  return static_cast<uint8_t>(rng_.Uniform(static_cast<uint64_t>(view.nodes)));
}

uint8_t Generator::TickNode() {
  int k =
      static_cast<int>(rng_.Uniform(static_cast<uint64_t>(tick_weight_sum_)));
  for (int i = 0; i < options_.nodes; ++i) {
    if (k < tick_weight_[i]) return static_cast<uint8_t>(i);
    k -= tick_weight_[i];
  }
  return 0;
}

Event Generator::PartitionEvent(const ClusterView& view) {
  const uint32_t all = (1u << view.nodes) - 1;
  uint32_t mask = static_cast<uint32_t>(rng_.Next()) & all;
  if (view.leader >= 0 && rng_.Percent(60)) {
    // Put the leader in a minority: the case that exercises stale leaders.
    mask = 1u << view.leader;
    for (int i = 0; i < view.nodes / 2 - 1; ++i) {
      if (rng_.OneIn(2)) mask |= 1u << rng_.Uniform(view.nodes);
    }
  }
  if (mask == 0 || mask == all) mask = 1;
  Event e{EventKind::kPartition, 0, 0, static_cast<uint8_t>(mask)};
  const uint64_t kind = rng_.Uniform(10);
  if (kind < 2) {
    e.kind = EventKind::kPartitionOneWay;
  } else if (kind < 4) {
    e.kind = EventKind::kPartitionBridge;
    e.a = PickNode(view, false);
  }
  partitioned_ = true;
  return e;
}

Event Generator::Fault(const ClusterView& view) {
  const Faults& f = options_.faults;
  for (;;) {
    switch (rng_.Uniform(6)) {
      case 0:
        if (!f.crashes) break;
        for (int i = 0; i < view.nodes; ++i) {
          // Restart crashed nodes more often than crashing live ones.
          if (!view.alive[i] && rng_.Percent(60)) {
            return {EventKind::kRestart, static_cast<uint8_t>(i)};
          }
        }
        return {EventKind::kCrash, view.leader >= 0 && rng_.OneIn(3)
                                       ? static_cast<uint8_t>(view.leader)
                                       : PickNode(view, true)};
      case 1:
      case 2:
        if (!f.partitions) break;
        if (partitioned_ && rng_.Percent(50)) {
          partitioned_ = false;
          return {EventKind::kHeal};
        }
        if (rng_.OneIn(4)) {
          flapping_left_ = 4 + static_cast<int>(rng_.Uniform(8));
          flap_countdown_ = 1;
        }
        return PartitionEvent(view);
      case 3:
        if (!f.snapshots) break;
        return {EventKind::kSnapshot, PickNode(view, true),
                static_cast<uint8_t>(rng_.Uniform(8))};
      case 4:
        if (!f.transfers) break;
        return {EventKind::kTransferLeader,
                view.leader >= 0 ? static_cast<uint8_t>(view.leader)
                                 : PickNode(view, true),
                PickNode(view, false)};
      default:
        return {EventKind::kCampaign, PickNode(view, true)};
    }
  }
}

Event Generator::Next(const ClusterView& view) {
  const Faults& f = options_.faults;
  if (flapping_left_ > 0 && --flap_countdown_ <= 0) {
    --flapping_left_;
    flap_countdown_ = 10 + static_cast<int>(rng_.Uniform(40));
    if (partitioned_) {
      partitioned_ = false;
      return {EventKind::kHeal};
    }
    return PartitionEvent(view);
  }
  const uint64_t r = rng_.Uniform(1000);
  if (view.in_flight > 0 && r < 520) {
    // Mostly FIFO; sometimes reorder, lose or duplicate.
    uint8_t k = 0;
    if (f.reorder && rng_.Percent(25)) {
      k = static_cast<uint8_t>(
          rng_.Uniform(view.in_flight < 256 ? view.in_flight : 256));
    }
    if (f.loss && r < 15) return {EventKind::kDrop, 0, 0, k};
    if (f.duplication && r < 30) return {EventKind::kDuplicate, 0, 0, k};
    return {EventKind::kDeliver, 0, 0, k};
  }
  if (r < 750) {
    for (int tries = 0; tries < 3; ++tries) {
      uint8_t n = PickNode(view, true);
      if (view.has_ready[n]) return {EventKind::kReady, n};
    }
    return {EventKind::kReady, PickNode(view, true)};
  }
  if (r < 900) return {EventKind::kTick, TickNode()};
  if (r < 950) {
    return {EventKind::kPropose, PickNode(view, true),
            static_cast<uint8_t>(rng_.Uniform(3))};
  }
  if (r < 980) {
    return {EventKind::kRead, PickNode(view, true),
            static_cast<uint8_t>(rng_.Uniform(3))};
  }
  return Fault(view);
}

}  // namespace fuzz::sim
