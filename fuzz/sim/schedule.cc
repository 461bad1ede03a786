#include "fuzz/sim/schedule.h"

namespace fuzz::sim {

std::string DescribeMask(uint32_t mask, int nodes) {
  std::string s = "{";
  for (int i = 0; i < nodes; ++i) {
    if ((mask >> i & 1) == 0) continue;
    if (s.size() > 1) s += ",";
    s += std::to_string(i + 1);
  }
  return s + "}";
}

std::string DescribeEvent(const Event& e, int nodes) {
  auto node = [nodes](uint8_t x) {
    return "n" + std::to_string(x % nodes + 1);
  };
  const uint32_t all = (1u << nodes) - 1;
  const uint32_t mask = e.c & all;
  switch (e.kind) {
    case EventKind::kTick:
      return "tick " + node(e.a);
    case EventKind::kDeliver:
      return "deliver #" + std::to_string(e.c);
    case EventKind::kDrop:
      return "drop #" + std::to_string(e.c);
    case EventKind::kDuplicate:
      return "duplicate #" + std::to_string(e.c);
    case EventKind::kReady:
      return "ready " + node(e.a);
    case EventKind::kPropose:
      return "propose at " + node(e.a) + " key k" + std::to_string(e.b % 3);
    case EventKind::kRead:
      return "read at " + node(e.a) + " key k" + std::to_string(e.b % 3);
    case EventKind::kCrash:
      return "crash " + node(e.a);
    case EventKind::kRestart:
      return "restart " + node(e.a);
    case EventKind::kPartition:
      return "partition " + DescribeMask(mask, nodes) + " | " +
             DescribeMask(all & ~mask, nodes);
    case EventKind::kPartitionOneWay:
      return "partition one-way " + DescribeMask(mask, nodes) + " -/-> " +
             DescribeMask(all & ~mask, nodes);
    case EventKind::kPartitionBridge:
      return "partition " + DescribeMask(mask, nodes) + " | " +
             DescribeMask(all & ~mask, nodes) + " bridged by " + node(e.a);
    case EventKind::kHeal:
      return "heal";
    case EventKind::kSnapshot:
      return "snapshot " + node(e.a) + " keep " + std::to_string(e.b % 8);
    case EventKind::kTransferLeader:
      return "transfer-leader at " + node(e.a) + " to " + node(e.b);
    case EventKind::kCampaign:
      return "campaign " + node(e.a);
  }
  return "event(" + std::to_string(static_cast<int>(e.kind)) + ")";
}

std::string EncodeSchedule(const Schedule& s) {
  std::string out;
  out.reserve(s.size() * 4);
  for (const Event& e : s) {
    out.push_back(static_cast<char>(e.kind));
    out.push_back(static_cast<char>(e.a));
    out.push_back(static_cast<char>(e.b));
    out.push_back(static_cast<char>(e.c));
  }
  return out;
}

Schedule DecodeSchedule(std::string_view bytes) {
  Schedule s;
  s.reserve(bytes.size() / 4);
  for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    auto byte = [&](size_t j) { return static_cast<uint8_t>(bytes[i + j]); };
    s.push_back({static_cast<EventKind>(byte(0) % kNumEventKinds), byte(1),
                 byte(2), byte(3)});
  }
  return s;
}

}  // namespace fuzz::sim
