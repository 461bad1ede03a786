#pragma once

// A linearizability checker for histories of a key-value map of registers.
//
// A history is what clients saw: each operation has the time it was invoked
// and the time its response arrived. The history is linearizable when every
// operation can be given one instant between its invocation and its response
// at which it takes effect atomically, so that the sequence of those instants
// is a legal run of the sequential model (a map from key to value, where a
// Get returns the last value Put, or "" if none).
//
// Algorithm: Wing and Gong's search, with Lowe's memoization ("Testing for
// linearizability", 2017), the same as Porcupine's: walk the history in time
// order; at each pending call try to linearize it now (apply it to the model
// state); back-track when a return is reached whose call was not linearized;
// remember each (set of linearized operations, model state) already explored
// so a configuration is never explored twice. Keys are independent registers,
// so the history is partitioned by key and each part is checked alone (P-
// compositionality), which keeps the search small.
//
// Operations of unknown outcome (the client crashed, timed out, or lost its
// connection): a Put may have taken effect at any instant after its
// invocation, or never; it is given a return time of +infinity, so the search
// may place it anywhere after its call, and placing it last is the same as
// "never". A Get of unknown outcome tells nothing and is ignored.
//
// Hints: operations may carry where the system says they took effect
// (Operation::hint). If the hint order is itself a linearization (it
// respects real time and is a legal sequential run), that witness is
// checked in O(n log n) and no search is needed; otherwise hints only order
// the search. The verdict never depends on hints, only the time it takes.
//
// Time is any int64 (the simulator uses its step counter). Operation a
// precedes b in real time iff a.ret < b.call; equal times are concurrent.
//
// Thread safety: pure functions of their arguments.

#include <cstdint>
#include <string>
#include <vector>

namespace fuzz {

enum class OpKind : uint8_t { kPut, kGet };

struct Operation {
  int client = 0;  // For messages only.
  OpKind kind = OpKind::kPut;
  std::string key;
  // kPut: the value written. kGet: the value read ("" = key absent); ignored
  // when unknown.
  std::string value;
  int64_t call = 0;  // Invocation time.
  int64_t ret = 0;   // Response time; ignored when unknown. REQUIRES: >= call.
  // True when the client never learned the outcome (see the file comment).
  bool unknown = false;
  // Optional search-order hint (0 = none): where the system says the
  // operation took effect, e.g. 2 * log index for a write and 2 * applied
  // index + 1 for a read. Among operations that may be linearized next the
  // search tries lower hints first, so a correct system's history is
  // confirmed in about linear time. Hints never change the verdict.
  uint64_t hint = 0;
};

enum class LinearizabilityVerdict { kOk, kIllegal, kBudgetExceeded };

struct LinearizabilityResult {
  LinearizabilityVerdict verdict = LinearizabilityVerdict::kOk;
  // For kIllegal: the key whose sub-history has no linearization, and a
  // readable account (the operations on it and the longest prefix the search
  // could linearize).
  std::string key;
  std::string explanation;
  // Search steps (calls tried) over all keys, for reports and budgets.
  uint64_t steps = 0;

  bool ok() const { return verdict == LinearizabilityVerdict::kOk; }
};

// Checks `history` for linearizability against the key-value register model.
// `max_steps` bounds the search (it is exponential in the worst case); when
// exceeded the verdict is kBudgetExceeded, which callers must not read as a
// pass or a failure.
LinearizabilityResult CheckLinearizable(const std::vector<Operation>& history,
                                        uint64_t max_steps = 10'000'000);

// "c3 put(k1, v7) [12, 40]" or "c1 get(k1) -> v7 [5, ?]"; for traces.
std::string DescribeOperation(const Operation& op);

}  // namespace fuzz
