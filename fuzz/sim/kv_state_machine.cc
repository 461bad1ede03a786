#include "fuzz/sim/kv_state_machine.h"

#include <sstream>

namespace fuzz::sim {

std::string EncodeCommand(const Command& c) {
  return std::to_string(c.op_id) + " " + c.key + " " + c.value;
}

bool DecodeCommand(std::string_view bytes, Command* c) {
  std::istringstream in{std::string(bytes)};
  Command out;
  if (!(in >> out.op_id >> out.key >> out.value)) return false;
  *c = std::move(out);
  return true;
}

bool KvStateMachine::Apply(uint64_t index, const Command& c) {
  applied_ = index;
  if (!ops_.insert(c.op_id).second) return false;
  kv_[c.key] = c.value;
  return true;
}

std::string KvStateMachine::Get(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? "" : it->second;
}

// Image: "<n> (<key> <value>)*n <m> (<op_id>)*m". Keys and values are
// simulator-made tokens without spaces.
std::string KvStateMachine::Serialize() const {
  std::string s = std::to_string(kv_.size());
  for (const auto& [k, v] : kv_) s += " " + k + " " + v;
  s += " " + std::to_string(ops_.size());
  for (uint64_t op : ops_) s += " " + std::to_string(op);
  return s;
}

bool KvStateMachine::Restore(std::string_view image, uint64_t index) {
  if (image.empty()) {  // The bootstrap snapshot: nothing applied yet.
    kv_.clear();
    ops_.clear();
    applied_ = index;
    return true;
  }
  std::istringstream in{std::string(image)};
  size_t n = 0;
  if (!(in >> n)) return false;
  std::map<std::string, std::string> kv;
  for (size_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!(in >> k >> v)) return false;
    kv[k] = v;
  }
  size_t m = 0;
  if (!(in >> m)) return false;
  std::set<uint64_t> ops;
  for (size_t i = 0; i < m; ++i) {
    uint64_t op = 0;
    if (!(in >> op)) return false;
    ops.insert(op);
  }
  kv_ = std::move(kv);
  ops_ = std::move(ops);
  applied_ = index;
  return true;
}

}  // namespace fuzz::sim
