#include "raft/read_only.h"

#include <algorithm>

#include "base/check.h"

namespace raft {
namespace {

// A round's heartbeat context: its number, 8 bytes big-endian.
raftpb::Payload EncodeRound(uint64_t round) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[static_cast<size_t>(i)] = static_cast<char>(round & 0xff);
    round >>= 8;
  }
  return raftpb::Payload(s);
}

std::optional<uint64_t> DecodeRound(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  uint64_t round = 0;
  for (char c : s) round = (round << 8) | static_cast<unsigned char>(c);
  return round;
}

}  // namespace

void ReadOnly::AddRequest(uint64_t index, const raftpb::Message& m) {
  CAIRN_CHECK(!m.entries.empty(), "MsgReadIndex without a context entry");
  const raftpb::Payload& ctx = m.entries[0].data;
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [&ctx](const ReadIndexStatus& rs) {
                           return rs.req.entries[0].data == ctx;
                         });
  if (it != queue_.end()) {
    // A retried context. The index recorded at the first attempt may be
    // stale for the retry (writes may have committed in between), and
    // rounds started before the retry do not prove leadership after it.
    index = std::max(index, it->index);
    queue_.erase(it);
  }
  queue_.push_back(ReadIndexStatus{m, index, next_round_});
}

raftpb::Payload ReadOnly::StartRound(uint64_t self, uint64_t now) {
  if (rounds_.size() >= kMaxRounds) rounds_.pop_front();
  Round r;
  r.number = next_round_++;
  r.sent_tick = now;
  r.acks[self] = true;
  rounds_.push_back(std::move(r));
  return EncodeRound(rounds_.back().number);
}

const std::map<uint64_t, bool>* ReadOnly::RecvAck(uint64_t id,
                                                  const raftpb::Payload& ctx,
                                                  uint64_t* round) {
  std::optional<uint64_t> n = DecodeRound(ctx.view());
  if (!n) return nullptr;
  for (Round& r : rounds_) {
    if (r.number != *n) continue;
    r.acks[id] = true;
    *round = r.number;
    return &r.acks;
  }
  return nullptr;
}

std::vector<ReadIndexStatus> ReadOnly::Advance(uint64_t round) {
  std::vector<ReadIndexStatus> out;
  auto it = std::find_if(rounds_.begin(), rounds_.end(),
                         [round](const Round& r) { return r.number == round; });
  if (it == rounds_.end()) return out;
  lease_start_ = std::max(lease_start_.value_or(0), it->sent_tick);
  rounds_.erase(rounds_.begin(), it + 1);
  while (!queue_.empty() && queue_.front().round <= round) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

}  // namespace raft
