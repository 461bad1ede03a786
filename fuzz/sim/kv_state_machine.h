#pragma once

// KvStateMachine: the application the simulated cluster replicates, a small
// map from key to value, and the command format of its log entries.
//
// A command carries the id of the client operation that proposed it; the
// state machine applies each operation id at most once, as etcd does with
// request ids, because the network may duplicate a forwarded proposal and
// the log then holds it twice.
//
// The state machine is durable with its applied index (like kvstore, which
// writes the applied index in the same transaction as the data), so a
// restarted node resumes applying after it.
//
// Thread safety: none.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace fuzz::sim {

struct Command {
  uint64_t op_id = 0;
  std::string key;
  std::string value;
};

// "<op_id> <key> <value>".
std::string EncodeCommand(const Command& c);
// False when `bytes` is not an encoded command.
bool DecodeCommand(std::string_view bytes, Command* c);

class KvStateMachine {
 public:
  // Applies c at log index `index`. Returns false (and changes only the
  // applied index) when c's operation was applied before.
  bool Apply(uint64_t index, const Command& c);
  // Marks `index` applied without a command (an empty or config entry).
  void Skip(uint64_t index) { applied_ = index; }

  // The value of key, or "" when absent.
  std::string Get(const std::string& key) const;
  uint64_t applied() const { return applied_; }
  bool HasApplied(uint64_t op_id) const { return ops_.count(op_id) != 0; }

  // The image stored in raft snapshots, and its inverse. Restore returns
  // false (and leaves the state unchanged) on a malformed image.
  std::string Serialize() const;
  bool Restore(std::string_view image, uint64_t index);

 private:
  uint64_t applied_ = 0;
  std::map<std::string, std::string> kv_;
  std::set<uint64_t> ops_;  // Operation ids applied so far.
};

}  // namespace fuzz::sim
