#pragma once

// Network: an in-memory network of raft state machines for tests, after
// etcd/raft's `network` (raft_test.go).
//
// Peers are StateMachines keyed by node id. Send() delivers messages one at a
// time in FIFO order (breadth first): it steps the recipient, collects what
// the recipient wants to send, filters those through the network's rules and
// appends the survivors to the queue, until the queue is empty. Nothing ticks
// and nothing is delayed: time only passes when a test ticks a node.
//
// Rules (all removed by Recover()):
//   Drop(from, to, p)     drop each message on the link from->to with
//                         probability p (1.0 = always), from a PRNG seeded
//                         in the constructor so runs replay exactly;
//   Cut(a, b)             drop everything between a and b, both directions;
//   Isolate(id)           cut id from every other peer;
//   Ignore(type)          drop every message of that type;
//   DropType(from,to,t)   drop messages of type t on the link from->to;
//   SetMsgHook(f)         drop a message when f returns false.
//
// Every message Send() delivers is also appended to a trace that tests may
// inspect (delivered()) and clear (ClearTrace()).
//
// Not thread-safe; tests drive it from one thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "base/status.h"
#include "proto/raftpb/raftpb.h"

namespace raft_test {

// StateMachine: anything the network can deliver to.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Steps one message. The network ignores errors (as etcd's does): a
  // dropped proposal is a normal outcome.
  virtual base::Status Step(const raftpb::Message& m) = 0;
  // Returns and forgets the messages the machine wants sent. An
  // implementation first makes durable what those messages depend on
  // (persisted entries, hard state), as a host does before sending.
  virtual std::vector<raftpb::Message> ReadMessages() = 0;
};

// BlackHole: a peer that swallows every message and sends nothing (etcd's
// nopStepper).
class BlackHole final : public StateMachine {
 public:
  base::Status Step(const raftpb::Message&) override { return {}; }
  std::vector<raftpb::Message> ReadMessages() override { return {}; }
};

class Network {
 public:
  // `seed` drives the probabilistic drops of Drop().
  explicit Network(uint64_t seed = 0) : rng_(seed), seed_(seed) {}

  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Adds (or replaces) the peer with id `id`. REQUIRES: id != 0, sm != null.
  void AddPeer(uint64_t id, std::unique_ptr<StateMachine> sm);
  // The peer with that id, or nullptr.
  StateMachine* peer(uint64_t id) const;
  // Ids of all peers, ascending.
  std::vector<uint64_t> ids() const;

  // Delivers `msgs` and everything they cause until no message is left.
  // Returns how many messages were delivered. A message to an unknown peer
  // is a bug in the test and aborts, as is a cascade of more than a million
  // messages (a livelock).
  size_t Send(std::vector<raftpb::Message> msgs);
  size_t Send(const raftpb::Message& m) {
    return Send(std::vector<raftpb::Message>{m});
  }

  // Probabilistic drop on the link from->to. REQUIRES: 0 <= perc <= 1.
  void Drop(uint64_t from, uint64_t to, double perc);
  void Cut(uint64_t a, uint64_t b);
  void Isolate(uint64_t id);
  void Ignore(raftpb::MessageType type);
  void DropType(uint64_t from, uint64_t to, raftpb::MessageType type);
  // Returns true to let the message through.
  void SetMsgHook(std::function<bool(const raftpb::Message&)> hook);
  // Heals the network: removes every rule above.
  void Recover();

  // Applies the current rules to `msgs`, returning the survivors in order.
  std::vector<raftpb::Message> Filter(std::vector<raftpb::Message> msgs);

  // Messages delivered by Send() since the last ClearTrace(), in order.
  const std::vector<raftpb::Message>& delivered() const { return trace_; }
  // Number of messages dropped by the rules since construction.
  size_t dropped() const { return dropped_; }
  void ClearTrace() { trace_.clear(); }

  uint64_t seed() const { return seed_; }

 private:
  bool ShouldDrop(const raftpb::Message& m);

  std::map<uint64_t, std::unique_ptr<StateMachine>> peers_;
  std::map<std::pair<uint64_t, uint64_t>, double> drop_;
  std::set<raftpb::MessageType> ignore_;
  std::set<std::tuple<uint64_t, uint64_t, raftpb::MessageType>> drop_type_;
  std::function<bool(const raftpb::Message&)> hook_;
  std::vector<raftpb::Message> trace_;
  size_t dropped_ = 0;
  std::mt19937_64 rng_;
  uint64_t seed_;
};

}  // namespace raft_test
