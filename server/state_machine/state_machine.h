#pragma once

// StateMachine: the seam between the member (server/node) and what it
// replicates. kvstore is the one Cairn ships (kv_state_machine.h); anything
// that is a deterministic function of the log can be hosted.
//
// Contract:
//  - Apply() receives every committed entry of the log in index order, in
//    batches. An entry with empty data is a no-op for the state machine
//    (raft's empty entry of a new leader, or a configuration change the
//    node applies itself) but still advances AppliedIndex(), so that after
//    a restart the node knows where to resume.
//  - Applying is deterministic: the same entries give the same state and
//    the same results on every member.
//  - AppliedIndex() is durable together with the effects of the entries up
//    to it (kvstore writes both in one SQLite transaction), so replaying
//    entries at or below it changes nothing; Apply() skips them.
//  - The state machine need not fsync: the WAL is the record of durability.
//    After a crash the node replays the WAL from AppliedIndex() + 1.
//
// Thread safety: every method but the constructor runs on the node's apply
// thread, one call at a time, in the order the node issues them; only
// PinnedSnapshot::WriteTo runs elsewhere (see there).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace server {

// One committed entry as the state machine sees it.
struct CommittedEntry {
  uint64_t index = 0;
  uint64_t term = 0;
  // The proposal's bytes; empty for entries the state machine ignores.
  std::string_view data;
};

// The answer to one applied entry or one query: the request's own error
// (etcd's status and message) or an encoded response.
struct Outcome {
  uint64_t index = 0;
  base::Status status;
  std::string response;
};

// A snapshot of the applied state, pinned by StateMachine::BeginSnapshot().
class PinnedSnapshot {
 public:
  virtual ~PinnedSnapshot() = default;
  // The applied index the snapshot covers.
  virtual uint64_t index() const = 0;
  // Writes the pinned state to the file `path`. Runs on a thread other
  // than the apply thread, concurrently with later Apply() calls, and
  // writes the state as of index() whatever they change. Called once.
  virtual base::Status WriteTo(const std::string& path) = 0;
};

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // The index of the last entry whose effects are stored (0 when empty).
  virtual uint64_t AppliedIndex() const = 0;

  // Applies `entries` (indexes increasing, contiguous after AppliedIndex()
  // once entries at or below it are skipped) and appends one Outcome per
  // applied non-empty entry to *outcomes. A request that fails (a txn with
  // too many ops, a compacted revision) is an Outcome with that Status, not
  // an error of Apply(). A non-OK return is a sticky failure of the state
  // machine itself (I/O error, corruption): the member stops.
  virtual base::Status Apply(std::span<const CommittedEntry> entries,
                             std::vector<Outcome>* outcomes) = 0;

  // Answers a read-only request from the applied state (a serializable
  // read, or a linearizable one once the node's read index is applied).
  virtual Outcome Query(std::string_view request) = 0;

  // Pins the applied state for a snapshot and returns it. Cheap: the node
  // calls it on the apply thread between Apply() calls, and the copy is
  // the returned object's WriteTo(), which the node runs on a thread of its
  // own while later entries are applied.
  virtual base::Result<std::unique_ptr<PinnedSnapshot>> BeginSnapshot() = 0;

  // Replaces the whole state with the snapshot file at `path`. Afterwards
  // AppliedIndex() is the snapshot's index.
  virtual base::Status RestoreSnapshot(const std::string& path) = 0;
};

}  // namespace server
