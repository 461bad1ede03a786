// Raft bugs the simulator found, one test each, in a subprocess (a raft
// CHECK aborts): each passes once the bug is fixed.

#include <gtest/gtest.h>

#include <memory>

#include "raft/raw_node.h"
#include "raft/storage.h"

namespace {

// Found by `sim --seed 1 --nodes 4` when the simulator drew
// max_size_per_msg = 0, which raft/config.h documents as "at most one entry
// per message". Config::Validate then defaults max_committed_size_per_ready
// to 0 too, and the first committed entry trips
//   raft/log.cc: CHECK failed: applying_ents_size_ <
//   max_applying_ents_size_: applying entry size (0-0)=0 not positive
// (RaftLog::NextCommittedEnts). Expected: entries are handed out one per
// Ready at least, as with any limit smaller than an entry.
void RunSingleNodeWithZeroMaxSizePerMsg() {
  raft::MemoryStorage storage;
  raftpb::Snapshot boot;
  boot.metadata.index = 1;
  boot.metadata.term = 1;
  boot.metadata.conf_state.voters = {1};
  if (!storage.ApplySnapshot(boot).ok()) std::exit(2);
  raft::Config c;
  c.id = 1;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.storage = &storage;
  c.applied = 1;
  c.max_size_per_msg = 0;
  c.max_inflight_msgs = 16;
  auto node = raft::RawNode::New(c);
  if (!node.ok()) std::exit(3);
  raft::RawNode& n = **node;
  if (!n.Campaign().ok()) std::exit(4);
  int applied = 0;
  for (int i = 0; i < 20; ++i) {
    if (i == 3) (void)n.Propose("x");
    while (n.HasReady()) {
      raft::Ready rd = n.GetReady();
      if (!storage.Append(rd.entries).ok()) std::exit(5);
      if (rd.hard_state) storage.SetHardState(*rd.hard_state);
      applied += static_cast<int>(rd.committed_entries.size());
      n.Advance();
    }
  }
  std::exit(applied >= 2 ? 0 : 6);  // The leader's empty entry and "x".
}

TEST(RaftRegressionTest, ZeroMaxSizePerMsgAppliesEntries) {
  EXPECT_EXIT(RunSingleNodeWithZeroMaxSizePerMsg(),
              ::testing::ExitedWithCode(0), "");
}

}  // namespace
