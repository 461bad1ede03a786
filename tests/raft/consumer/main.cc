// A program outside Cairn that uses the installed raft package: a one-node
// group elects itself, commits one entry, and prints what it applied.
// tests/raft/consumer/run_test.cmake builds it against a fresh install
// (with find_package and with pkg-config) and checks its output.

#include <cstdio>
#include <memory>
#include <string>

#include "proto/raftpb/raftpb.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace {

int Fail(const char* what, const base::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  raft::MemoryStorage storage;
  raftpb::ConfState cs;
  cs.voters = {1};
  storage.SetInitialConfState(cs);

  raft::Config cfg;
  cfg.id = 1;
  cfg.election_tick = 10;
  cfg.heartbeat_tick = 1;
  cfg.storage = &storage;
  cfg.max_inflight_msgs = 16;
  auto node = raft::RawNode::New(cfg);
  if (!node.ok()) return Fail("RawNode::New", node.status());
  raft::RawNode& n = **node;

  if (base::Status s = n.Campaign(); !s.ok()) return Fail("Campaign", s);
  bool proposed = false;
  std::string applied;
  for (int round = 0; round < 10 && applied.empty(); ++round) {
    raft::BasicStatus st = n.GetBasicStatus();
    if (!proposed &&
        st.soft_state.raft_state == raft::StateType::kStateLeader) {
      std::printf("leader %llu at term %llu\n",
                  static_cast<unsigned long long>(st.id),
                  static_cast<unsigned long long>(st.hard_state.term));
      if (base::Status s = n.Propose("hello"); !s.ok()) {
        return Fail("Propose", s);
      }
      proposed = true;
    }
    if (!n.HasReady()) continue;
    raft::Ready rd = n.GetReady();
    if (rd.hard_state) storage.SetHardState(*rd.hard_state);
    if (base::Status s = storage.Append(rd.entries); !s.ok()) {
      return Fail("Append", s);
    }
    for (const raftpb::Entry& e : rd.committed_entries) {
      if (e.type == raftpb::kEntryNormal && !e.data.empty()) {
        applied = e.data.ToString();
        std::printf("committed %s at index %llu\n", applied.c_str(),
                    static_cast<unsigned long long>(e.index));
      }
    }
    n.Advance();
  }
  if (applied != "hello") {
    std::fprintf(stderr, "nothing committed\n");
    return 1;
  }
  return 0;
}
