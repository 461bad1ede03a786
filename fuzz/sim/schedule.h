#pragma once

// Schedule: the sequence of fault and workload events that drives one
// simulated run.
//
// Every decision the simulator takes is an Event in the schedule: which node
// ticks, which in-flight message is delivered, dropped or duplicated, which
// node handles its Ready, client requests, crashes, restarts, partitions,
// snapshots, leadership transfers. The simulator takes no random decision
// of its own, so a schedule replays a run exactly, and every sub-sequence of
// a schedule is itself a valid schedule (arguments that no longer make
// sense, e.g. the 9th message when 3 are in flight, are taken modulo what
// exists, or the event does nothing). That is what lets the shrinker delete
// events freely and lets libFuzzer's bytes be a schedule.
//
// Binary form (what libFuzzer mutates and schedule files hold): 4 bytes per
// event, {kind, a, b, c}; the kind byte is taken modulo the number of kinds;
// a trailing partial event is ignored.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz::sim {

enum class EventKind : uint8_t {
  kTick = 0,              // a: node.
  kDeliver = 1,           // c: index into the in-flight messages.
  kDrop = 2,              // c: index; the message is lost.
  kDuplicate = 3,         // c: index; a copy is added at the back.
  kReady = 4,             // a: node handles one Ready (sync mode) or one step
                          // of its storage pipeline (async mode).
  kPropose = 5,           // a: node the client talks to, b: key.
  kRead = 6,              // a: node, b: key; a ReadIndex read.
  kCrash = 7,             // a: node; loses everything not persisted.
  kRestart = 8,           // a: node; restarts from what was persisted.
  kPartition = 9,         // c: bit mask of side A; A and B cannot talk.
  kPartitionOneWay = 10,  // c: mask of A; messages from A to B are lost.
  kPartitionBridge = 11,  // a: bridge node talking to both sides; c: mask.
  kHeal = 12,             // All links up.
  kSnapshot = 13,         // a: node snapshots at its applied index, compacts
                          // keeping b % 8 entries.
  kTransferLeader = 14,   // a: node asked, b: transferee.
  kCampaign = 15,         // a: node campaigns now (as if its timer fired).
};
inline constexpr int kNumEventKinds = 16;

struct Event {
  EventKind kind = EventKind::kTick;
  uint8_t a = 0;
  uint8_t b = 0;
  uint8_t c = 0;

  friend bool operator==(const Event&, const Event&) = default;
};

using Schedule = std::vector<Event>;

// "tick n2", "deliver #3", "partition {1,2} | {3,4,5}" ...; node ids are
// 1-based (node index i is raft id i+1). `nodes` is the cluster size.
std::string DescribeEvent(const Event& e, int nodes);

std::string EncodeSchedule(const Schedule& s);
Schedule DecodeSchedule(std::string_view bytes);

// The node indexes in `mask` (bit i = node index i) among `nodes`, as
// "{1,3}" with 1-based ids.
std::string DescribeMask(uint32_t mask, int nodes);

}  // namespace fuzz::sim
