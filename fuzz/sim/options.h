#pragma once

// SimOptions: everything that, with the seed, determines a simulated run.
// A failure report prints them as command-line flags of fuzz/sim, so the
// run replays with one copy-paste.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "base/result.h"
#include "raft/config.h"

namespace fuzz::sim {

enum class StorageMode { kSync, kAsync };

// Which faults the generator may schedule. All on by default.
struct Faults {
  bool loss = true;         // Drop in-flight messages.
  bool duplication = true;  // Duplicate in-flight messages.
  bool reorder = true;      // Deliver out of order (else FIFO).
  bool partitions = true;   // Symmetric, one-way, bridge, flapping.
  bool crashes = true;      // Crash and restart nodes.
  bool snapshots = true;    // Snapshot and compact at random points.
  bool transfers = true;    // Leadership transfers.
  bool tick_skew = true;    // Nodes tick at different rates.
};

// Named generator profiles (see generator.h): "swarm", the default, draws a
// profile from each seed; the others are fixed mixes aimed at one kind of
// schedule: "crashy" (frequent short crashes and forced elections, no
// partitions, one entry per MsgApp), "partitiony" (long partitions, many
// reads).
inline constexpr const char* kProfileNames[] = {"swarm", "crashy",
                                                "partitiony"};

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 5;     // 3..7.
  int steps = 2000;  // Events generated (when not replaying a schedule).
  StorageMode mode = StorageMode::kSync;
  std::string profile = "swarm";  // One of kProfileNames.
  Faults faults;
  // -1: drawn from the seed; 0/1: forced off/on.
  int pre_vote = -1;
  int check_quorum = -1;
  // Planted bugs (see raft::TestingKnobs), and one on the storage side: a
  // restarted node's HardState loses its vote.
  raft::TestingKnobs knobs;
  bool forget_vote_on_restart = false;
  // Check that a node's persisted vote never changes within a term. Off in
  // tests that show election safety alone catches a vote bug.
  bool check_vote_durability = true;
  // Ticks the cluster gets, after faults stop and the network heals, to
  // elect a leader and commit a proposal everywhere.
  int liveness_bound_ticks = 400;
  // Where the readable trace goes; null for none.
  std::ostream* trace = nullptr;
};

// "--seed 7 --nodes 5 --steps 2000 --mode sync --faults all" plus any
// non-default switch: what fuzz/sim needs to replay a run.
std::string FormatOptions(const SimOptions& o);

// Parses a --faults value: "all", "none" or a comma list of loss, dup,
// reorder, partition, crash, snapshot, transfer, skew.
base::Result<Faults> ParseFaults(const std::string& s);
std::string FormatFaults(const Faults& f);

// Parses a --bugs value: comma list of vote-no-log-check,
// commit-prior-term, read-index-no-heartbeat, forget-vote.
base::Status ParseBugs(const std::string& s, SimOptions* o);

}  // namespace fuzz::sim
