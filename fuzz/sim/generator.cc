#include "fuzz/sim/generator.h"

namespace fuzz::sim {

std::string Profile::ToString() const {
  return "faults " + std::to_string(fault_permille) + "/1000 (crash " +
         std::to_string(crash_weight) + ", partition " +
         std::to_string(partition_weight) + ", snapshot " +
         std::to_string(snapshot_weight) + ", transfer " +
         std::to_string(transfer_weight) + ", campaign " +
         std::to_string(campaign_weight) + "), puts " +
         std::to_string(propose_permille) + "/1000, reads " +
         std::to_string(read_permille) + "/1000, partitions " +
         std::to_string(partition_min) + "-" + std::to_string(partition_max) +
         " events, crashes " + std::to_string(crash_min) + "-" +
         std::to_string(crash_max) + " events";
}

Generator::Generator(const SimOptions& options)
    : options_(options), rng_(options.seed ^ 0x5ca1ab1eULL) {
  for (int i = 0; i < options_.nodes; ++i) {
    // Rates 2..5 with skew: the fastest node ticks 2.5x as often.
    tick_weight_[i] =
        options_.faults.tick_skew ? 2 + static_cast<int>(rng_.Uniform(4)) : 1;
    tick_weight_sum_ += tick_weight_[i];
  }
  const Faults& f = options_.faults;
  auto weight = [this](bool enabled) {
    static constexpr int kLevels[] = {0, 1, 1, 3};
    return enabled ? kLevels[rng_.Uniform(4)] : 0;
  };
  Profile& p = profile_;
  static constexpr int kFaultRates[] = {5, 20, 20, 50};
  p.fault_permille = kFaultRates[rng_.Uniform(4)];
  p.crash_weight = weight(f.crashes);
  p.partition_weight = 2 * weight(f.partitions);
  p.snapshot_weight = weight(f.snapshots);
  p.transfer_weight = weight(f.transfers);
  p.campaign_weight = weight(true);
  static constexpr int kProposeRates[] = {20, 50, 100};
  static constexpr int kReadRates[] = {10, 30, 80};
  p.propose_permille = kProposeRates[rng_.Uniform(3)];
  p.read_permille = kReadRates[rng_.Uniform(3)];
  p.partition_min = Between(50, 400);
  p.partition_max = p.partition_min + Between(100, 2500);
  p.crash_min = Between(1, 50);
  p.crash_max = p.crash_min + Between(10, 800);
  if (options_.profile == "crashy") {
    p.fault_permille = 60;
    p.crash_weight = f.crashes ? 4 : 0;
    p.partition_weight = p.snapshot_weight = p.transfer_weight = 0;
    p.campaign_weight = 3;
    p.propose_permille = 100;
    p.read_permille = 10;
    p.crash_min = 1;
    p.crash_max = 60;
  } else if (options_.profile == "partitiony") {
    p.fault_permille = 10;
    p.crash_weight = p.snapshot_weight = p.transfer_weight = 0;
    p.partition_weight = f.partitions ? 4 : 0;
    p.campaign_weight = 1;
    p.propose_permille = 50;
    p.read_permille = 80;
    p.partition_min = 400;
    p.partition_max = 3000;
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
  heal_at_ = now_ + (flapping_left_ > 0 ? Between(10, 60)
                                        : Between(profile_.partition_min,
                                                  profile_.partition_max));
  return e;
}

Event Generator::Fault(const ClusterView& view) {
  const Profile& p = profile_;
  const int total = p.crash_weight + p.partition_weight + p.snapshot_weight +
                    p.transfer_weight + p.campaign_weight;
  if (total == 0) return {EventKind::kTick, TickNode()};
  int k = static_cast<int>(rng_.Uniform(static_cast<uint64_t>(total)));
  if ((k -= p.crash_weight) < 0) {
    const uint8_t n = view.leader >= 0 && rng_.OneIn(2)
                          ? static_cast<uint8_t>(view.leader)
                          : PickNode(view, true);
    if (!view.alive[n]) return {EventKind::kTick, TickNode()};
    restart_at_[n] = now_ + Between(p.crash_min, p.crash_max);
    return {EventKind::kCrash, n};
  }
  if ((k -= p.partition_weight) < 0) {
    if (heal_at_ == 0 && cut_at_ == 0 && rng_.OneIn(4)) {
      flapping_left_ = Between(4, 12);
    }
    return PartitionEvent(view);
  }
  if ((k -= p.snapshot_weight) < 0) {
    return {EventKind::kSnapshot, PickNode(view, true),
            static_cast<uint8_t>(rng_.Uniform(8))};
  }
  if ((k -= p.transfer_weight) < 0) {
    return {EventKind::kTransferLeader,
            view.leader >= 0 ? static_cast<uint8_t>(view.leader)
                             : PickNode(view, true),
            PickNode(view, false)};
  }
  return {EventKind::kCampaign, PickNode(view, true)};
}

Event Generator::Next(const ClusterView& view) {
  ++now_;
  // Scheduled ends of faults first.
  for (int i = 0; i < view.nodes; ++i) {
    if (restart_at_[i] != 0 && now_ >= restart_at_[i]) {
      restart_at_[i] = 0;
      if (!view.alive[i]) return {EventKind::kRestart, static_cast<uint8_t>(i)};
    }
  }
  if (heal_at_ != 0 && now_ >= heal_at_) {
    heal_at_ = 0;
    if (flapping_left_ > 0 && --flapping_left_ > 0) {
      cut_at_ = now_ + Between(10, 60);  // Healed briefly, then cut again.
    }
    return {EventKind::kHeal};
  }
  if (cut_at_ != 0 && now_ >= cut_at_) {
    cut_at_ = 0;
    return PartitionEvent(view);
  }
  const Faults& f = options_.faults;
  const int r = static_cast<int>(rng_.Uniform(1000));
  int acc = profile_.fault_permille;
  if (r < acc) return Fault(view);
  if (r < (acc += profile_.propose_permille)) {
    return {EventKind::kPropose, PickNode(view, true),
            static_cast<uint8_t>(rng_.Uniform(3))};
  }
  if (r < (acc += profile_.read_permille)) {
    return {EventKind::kRead, PickNode(view, true),
            static_cast<uint8_t>(rng_.Uniform(3))};
  }
  // The rest: about 55% deliveries, 20% Ready handling, 25% ticks.
  const uint64_t s = rng_.Uniform(100);
  if (view.in_flight > 0 && s < 55) {
    // Mostly FIFO; sometimes reorder, lose or duplicate.
    uint8_t k = 0;
    if (f.reorder && rng_.Percent(25)) {
      k = static_cast<uint8_t>(
          rng_.Uniform(view.in_flight < 256 ? view.in_flight : 256));
    }
    const uint64_t t = rng_.Uniform(100);
    if (f.loss && t < 3) return {EventKind::kDrop, 0, 0, k};
    if (f.duplication && t < 6) return {EventKind::kDuplicate, 0, 0, k};
    return {EventKind::kDeliver, 0, 0, k};
  }
  if (s < 75) {
    // In async mode b picks the step: Ready, append or apply (cluster.h).
    const uint8_t b = options_.mode == StorageMode::kAsync
                          ? static_cast<uint8_t>(rng_.Uniform(4))
                          : 0;
    for (int tries = 0; tries < 3; ++tries) {
      uint8_t n = PickNode(view, true);
      if (view.has_ready[n] || b != 0) return {EventKind::kReady, n, b};
    }
    return {EventKind::kReady, PickNode(view, true), b};
  }
  return {EventKind::kTick, TickNode()};
}

}  // namespace fuzz::sim
