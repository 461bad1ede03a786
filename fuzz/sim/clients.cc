#include "fuzz/sim/clients.h"

namespace fuzz::sim {

uint64_t Clients::Start(int node, Operation op) {
  const uint64_t id = next_id_++;
  op.client = static_cast<int>(id);
  op.unknown = true;  // Until it completes.
  pending_[id] = {node, history_.size()};
  history_.push_back(std::move(op));
  refused_.push_back(false);
  return id;
}

uint64_t Clients::StartPut(int node, const std::string& key,
                           const std::string& value, int64_t now) {
  return Start(node, {0, OpKind::kPut, key, value, now, now});
}

uint64_t Clients::StartGet(int node, const std::string& key, int64_t now) {
  return Start(node, {0, OpKind::kGet, key, "", now, now});
}

void Clients::Refuse(uint64_t op_id) {
  auto it = pending_.find(op_id);
  if (it == pending_.end()) return;
  refused_[it->second.slot] = true;
  refused_ids_.insert(op_id);
  pending_.erase(it);
  awaiting_apply_.erase(op_id);
}

void Clients::Complete(uint64_t op_id, const std::string& value, int64_t now) {
  auto it = pending_.find(op_id);
  if (it == pending_.end()) return;
  Operation& op = history_[it->second.slot];
  op.unknown = false;
  op.ret = now;
  if (op.kind == OpKind::kGet) op.value = value;
  pending_.erase(it);
}

void Clients::PutApplied(int node, uint64_t op_id, int64_t now) {
  auto it = pending_.find(op_id);
  if (it == pending_.end() || it->second.node != node) return;
  if (history_[it->second.slot].kind != OpKind::kPut) return;
  Complete(op_id, "", now);
}

void Clients::ReadIndexKnown(int node, uint64_t op_id, uint64_t index) {
  auto it = pending_.find(op_id);
  if (it == pending_.end() || it->second.node != node) return;
  awaiting_apply_.emplace(op_id, index);
}

void Clients::NodeCrashed(int node) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.node == node) {
      awaiting_apply_.erase(it->first);
      it = pending_.erase(it);  // Stays in history_ with unknown outcome.
    } else {
      ++it;
    }
  }
}

std::vector<Operation> Clients::History() const {
  std::vector<Operation> h;
  h.reserve(history_.size());
  for (size_t i = 0; i < history_.size(); ++i) {
    if (refused_[i]) continue;
    Operation op = history_[i];
    if (op.kind == OpKind::kPut) {
      auto it = first_applied_.find(static_cast<uint64_t>(op.client));
      if (it == first_applied_.end()) {
        if (op.unknown) continue;  // Never took effect.
      } else {
        if (op.unknown || it->second.first < op.ret) {
          op.unknown = false;
          op.ret = it->second.first;
        }
        op.hint = 2 * it->second.second;
      }
    }
    h.push_back(std::move(op));
  }
  return h;
}

}  // namespace fuzz::sim
