#include "raft/read_only.h"

#include <algorithm>

#include "base/check.h"

namespace raft {

void ReadOnly::AddRequest(uint64_t index, const raftpb::Message& m) {
  CAIRN_CHECK(!m.entries.empty(), "MsgReadIndex without a context entry");
  std::string ctx = m.entries[0].data.ToString();
  auto it = pending_read_index_.find(ctx);
  if (it != pending_read_index_.end()) {
    // A retried context. Answering it with the index recorded at the first
    // attempt could be stale for the retry (writes may have committed in
    // between), and acknowledgments collected before the retry do not
    // prove leadership after it. So the request takes the newer index and
    // waits for a fresh round, at the back of the queue.
    it->second.index = std::max(it->second.index, index);
    it->second.acks.clear();
    it->second.req = m;
    queue_.erase(std::find(queue_.begin(), queue_.end(), ctx));
    queue_.push_back(std::move(ctx));
    return;
  }
  ReadIndexStatus st;
  st.req = m;
  st.index = index;
  pending_read_index_.emplace(ctx, std::move(st));
  queue_.push_back(std::move(ctx));
}

const std::map<uint64_t, bool>* ReadOnly::RecvAck(uint64_t id,
                                                  const raftpb::Payload& ctx) {
  auto it = pending_read_index_.find(std::string(ctx.view()));
  if (it == pending_read_index_.end()) return nullptr;
  it->second.acks[id] = true;
  return &it->second.acks;
}

std::vector<ReadIndexStatus> ReadOnly::Advance(const raftpb::Payload& ctx) {
  std::vector<ReadIndexStatus> out;
  auto pos = std::find(queue_.begin(), queue_.end(), ctx.view());
  if (pos == queue_.end()) return out;
  ++pos;
  for (auto it = queue_.begin(); it != pos; ++it) {
    auto p = pending_read_index_.find(*it);
    CAIRN_CHECK(p != pending_read_index_.end(),
                "cannot find corresponding read state from pending map");
    out.push_back(std::move(p->second));
    pending_read_index_.erase(p);
  }
  queue_.erase(queue_.begin(), pos);
  return out;
}

raftpb::Payload ReadOnly::LastPendingRequestCtx() const {
  if (queue_.empty()) return raftpb::Payload();
  return raftpb::Payload(queue_.back());
}

}  // namespace raft
