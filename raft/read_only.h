#pragma once

// ReadOnly: the leader's pending ReadIndex requests (thesis 6.4).
//
// With ReadOnlySafe, a request records the commit index at arrival and the
// heartbeat round that carries its context; once a quorum has answered
// that round, the request and every request queued before it are released
// with their recorded index. Requests arriving during one round share the
// next one.

#include <cstdint>
#include <deque>
#include <map>
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
  raftpb::Message req;            // The original MsgReadIndex.
  uint64_t index = 0;             // The leader's commit index when it arrived.
  std::map<uint64_t, bool> acks;  // Heartbeat acknowledgments received.
};

class ReadOnly {
 public:
  explicit ReadOnly(ReadOnlyOption option) : option_(option) {}

  ReadOnlyOption option() const { return option_; }

  // Queues a request with the commit index `index`. A context already
  // pending is ignored (the earlier request answers both).
  void AddRequest(uint64_t index, const raftpb::Message& m);

  // Records id's heartbeat acknowledgment of the round with context ctx and
  // returns the acks so far (nullptr when ctx is unknown).
  const std::map<uint64_t, bool>* RecvAck(uint64_t id,
                                          const raftpb::Payload& ctx);

  // Releases the request with context ctx and every request queued before
  // it, in queue order. Empty when ctx is unknown.
  std::vector<ReadIndexStatus> Advance(const raftpb::Payload& ctx);

  // The context of the newest pending request (empty if none).
  raftpb::Payload LastPendingRequestCtx() const;

  size_t pending() const { return queue_.size(); }

 private:
  ReadOnlyOption option_;
  std::map<std::string, ReadIndexStatus> pending_read_index_;
  std::deque<std::string> queue_;
};

}  // namespace raft
