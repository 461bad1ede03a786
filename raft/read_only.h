#pragma once

// ReadOnly: the leader's pending ReadIndex requests and its heartbeat
// rounds (thesis 6.4).
//
// A read request records the leader's commit index when it arrives (its
// read index). It may be answered once the leader knows it was still the
// leader after the request arrived: a quorum acknowledged a heartbeat
// round sent after that moment. Rounds are numbered; every heartbeat the
// leader broadcasts starts one, and its context names the round (followers
// echo the context in MsgHeartbeatResp). A request is covered by the first
// round started after it arrived, and released, with every request before
// it, when a quorum acknowledges that round or a later one.
//
// Batching: while a round that covers pending requests is in flight, new
// requests wait for the next round (Raft starts it when the one in flight
// completes, or at the next heartbeat), so a burst of requests during one
// round costs one more round, not one per request.
//
// The lease (ReadOnlyLeaseBased): the send tick of the newest round a
// quorum acknowledged. No follower that acknowledged it can vote for
// another candidate within an election timeout of receiving it, so with
// check_quorum no other leader exists before lease_start + election
// timeout, measured in ticks of a clock running at the same rate as the
// followers' (Raft subtracts max_clock_drift_ticks for that).
//
// Thread safety: none; owned by one Raft.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/config.h"

namespace raft {

// A released read: the application may serve the read identified by
// request_ctx once its applied index reaches `index`.
struct ReadState {
  uint64_t index = 0;
  raftpb::Payload request_ctx;

  friend bool operator==(const ReadState&, const ReadState&) = default;
};

struct ReadIndexStatus {
  raftpb::Message req;  // The original MsgReadIndex.
  uint64_t index = 0;   // The leader's commit index when it arrived.
  uint64_t round = 0;   // The first round started after it arrived.
};

class ReadOnly {
 public:
  // At most this many rounds wait for acknowledgments; starting one more
  // forgets the oldest (a later round covers everything it covered).
  static constexpr size_t kMaxRounds = 64;

  explicit ReadOnly(ReadOnlyOption option) : option_(option) {}

  ReadOnlyOption option() const { return option_; }

  // Queues a request with read index `index`; it is covered by the next
  // round started. REQUIRES: m carries its context in entries[0]. A request
  // whose context is already pending replaces it: it takes the newer index
  // and waits for a new round, so a retried context never gets the index
  // of an earlier attempt (the stale read fixed in etcd-io/raft#397).
  void AddRequest(uint64_t index, const raftpb::Message& m);

  // True when a started round covers pending requests and has not reached
  // a quorum yet (new requests then wait for the next round).
  bool RoundInFlight() const {
    return !queue_.empty() && queue_.front().round < next_round_;
  }
  // True when some pending request is covered by no started round.
  bool HasUncoveredRequests() const {
    return !queue_.empty() && queue_.back().round == next_round_;
  }

  // Starts a round at tick `now` acknowledged by `self`, and returns the
  // context its heartbeats carry.
  raftpb::Payload StartRound(uint64_t self, uint64_t now);

  // Records id's acknowledgment of the round named by ctx. Returns the
  // acknowledgments of that round so far and sets *round, or nullptr when
  // ctx names no round waiting for acknowledgments.
  const std::map<uint64_t, bool>* RecvAck(uint64_t id,
                                          const raftpb::Payload& ctx,
                                          uint64_t* round);

  // Round `round` reached a quorum: moves the lease start to its send tick
  // and releases, in queue order, every request it (or an earlier round)
  // covers. Forgets rounds up to `round`.
  std::vector<ReadIndexStatus> Advance(uint64_t round);

  // The send tick of the newest round a quorum acknowledged, if any since
  // this leader took office.
  std::optional<uint64_t> lease_start() const { return lease_start_; }

  size_t pending() const { return queue_.size(); }
  size_t rounds() const { return rounds_.size(); }

 private:
  struct Round {
    uint64_t number = 0;
    uint64_t sent_tick = 0;
    std::map<uint64_t, bool> acks;
  };

  ReadOnlyOption option_;
  // Pending requests in arrival order; their rounds never decrease.
  std::deque<ReadIndexStatus> queue_;
  // Rounds started and not yet acknowledged by a quorum, oldest first.
  std::deque<Round> rounds_;
  // The number of the next round. Invariant: every pending request's
  // round is <= next_round_.
  uint64_t next_round_ = 1;
  std::optional<uint64_t> lease_start_;
};

}  // namespace raft
