// libFuzzer target: arbitrary bytes, decoded with the raftpb codec as
// messages, stepped into a raft node; nothing may crash and the node's
// invariants must hold after every step.
//
// Input: records {u16 little-endian length, bytes}; a zero length means
// "tick once". Each record is decoded with raftpb::DecodeMessage; garbage is
// rejected by the codec (that is the point), decoded messages are addressed
// to node 1 (of voters 1, 2, 3) and stepped, then the node's Ready is
// handled as a host would (persist, "send" by dropping, apply, Advance).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "proto/raftpb/codec.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace {

void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "message_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

void HandleReady(raft::RawNode& node, raft::MemoryStorage& storage) {
  while (node.HasReady()) {
    raft::Ready rd = node.GetReady();
    if (rd.snapshot && !raftpb::IsEmptySnap(*rd.snapshot)) {
      (void)storage.ApplySnapshot(*rd.snapshot);
    }
    if (!rd.entries.empty()) {
      base::Status s = storage.Append(rd.entries);
      if (!s.ok()) Die("append", s.ToString());
    }
    if (rd.hard_state) storage.SetHardState(*rd.hard_state);
    node.Advance();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  raft::MemoryStorage storage;
  raftpb::Snapshot boot;
  boot.metadata.index = 1;
  boot.metadata.term = 1;
  boot.metadata.conf_state.voters = {1, 2, 3};
  if (!storage.ApplySnapshot(boot).ok()) Die("bootstrap", "");
  storage.SetHardState({1, 0, 1});
  raft::Config c;
  c.id = 1;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.storage = &storage;
  c.applied = 1;
  c.max_size_per_msg = 4096;
  c.max_inflight_msgs = 16;
  c.pre_vote = size > 0 && (data[0] & 1) != 0;
  c.check_quorum = size > 0 && (data[0] & 2) != 0;
  auto node = raft::RawNode::New(c);
  if (!node.ok()) Die("new node", node.status().ToString());
  raft::RawNode& n = **node;
  size_t pos = 0;
  while (pos + 2 <= size) {
    const size_t len = data[pos] | static_cast<size_t>(data[pos + 1]) << 8;
    pos += 2;
    if (len == 0) {
      n.Tick();
    } else {
      if (len > size - pos) break;
      std::string_view bytes(reinterpret_cast<const char*>(data + pos), len);
      pos += len;
      base::Result<raftpb::Message> m = raftpb::DecodeMessage(bytes);
      if (!m.ok()) continue;
      m->to = 1;
      (void)n.Step(std::move(m).value());
    }
    HandleReady(n, storage);
    base::Status inv = n.CheckInvariants();
    if (!inv.ok()) Die("invariant", inv.ToString());
  }
  return 0;
}
