// Tests of RawNode in async-storage-writes mode (raft/ready.h, "Asynchronous
// storage writes"): what MsgStorageAppend / MsgStorageApply carry, that
// votes, acknowledgments and the leader's own entries count only once
// durable, the term check against the append ABA race, and that both modes
// commit the same log. After etcd's rawnode_test.go
// (TestRawNodeReadyAsyncStorageWrites and friends).

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "raft/errors.h"
#include "raft/raw_node.h"
#include "raft/util.h"
#include "tests/raft/core_cluster.h"
#include "tests/raft/core_test_util.h"

namespace raft {
namespace {

using raftpb::Entry;
using raftpb::Message;
using test::Ent;

Config AsyncConfig(uint64_t id, Storage* s) {
  Config c = test::Cluster::NewConfig(id, s);
  c.async_storage_writes = true;
  return c;
}

std::unique_ptr<RawNode> NewNode(const Config& c) {
  auto n = RawNode::New(c);
  EXPECT_TRUE(n.ok()) << n.status();
  return std::move(n).value();
}

void SetVoters(MemoryStorage* s, std::vector<uint64_t> voters) {
  raftpb::ConfState cs;
  cs.voters = std::move(voters);
  s->SetInitialConfState(cs);
}

// The local messages of a Ready, checked to come after all others.
struct LocalWork {
  std::vector<Message> append;  // MsgStorageAppend, at most one.
  std::vector<Message> apply;   // MsgStorageApply, at most one.
  std::vector<Message> peers;
};

LocalWork Split(Ready& rd) {
  LocalWork w;
  for (Message& m : rd.messages) {
    if (m.to == kLocalAppendThread) {
      EXPECT_EQ(m.type, raftpb::kMsgStorageAppend);
      EXPECT_TRUE(w.apply.empty()) << "append after apply";
      w.append.push_back(std::move(m));
    } else if (m.to == kLocalApplyThread) {
      EXPECT_EQ(m.type, raftpb::kMsgStorageApply);
      w.apply.push_back(std::move(m));
    } else {
      EXPECT_TRUE(w.append.empty() && w.apply.empty())
          << "peer message after a local one: " << DescribeMessage(m);
      w.peers.push_back(std::move(m));
    }
  }
  EXPECT_LE(w.append.size(), 1u);
  EXPECT_LE(w.apply.size(), 1u);
  return w;
}

// Does a MsgStorageAppend's write, as the append thread does.
void Write(MemoryStorage& s, const Message& m) {
  if (m.snapshot) {
    ASSERT_TRUE(s.ApplySnapshot(*m.snapshot).ok());
  }
  if (!m.entries.empty()) {
    ASSERT_TRUE(s.Append(m.entries).ok());
  }
  raftpb::HardState hs{m.term, m.vote, m.commit};
  if (!raftpb::IsEmptyHardState(hs)) s.SetHardState(hs);
}

// Steps the responses addressed to node n; returns the others.
std::vector<Message> StepLocal(RawNode& n, std::vector<Message> responses) {
  std::vector<Message> out;
  for (Message& r : responses) {
    if (r.to == n.raft().id()) {
      base::Status s = n.Step(std::move(r));
      EXPECT_TRUE(s.ok()) << s;
      EXPECT_TRUE(n.CheckInvariants().ok()) << n.CheckInvariants();
    } else {
      out.push_back(std::move(r));
    }
  }
  return out;
}

TEST(RawNodeAsyncTest, AdvanceIsRefused) {
  MemoryStorage s;
  SetVoters(&s, {1});
  auto n = NewNode(AsyncConfig(1, &s));
  EXPECT_DEATH(n->Advance(), "Advance must not be called");
}

TEST(RawNodeAsyncTest, SyncModeRefusesStorageResponses) {
  MemoryStorage s;
  SetVoters(&s, {1});
  auto n = NewNode(test::Cluster::NewConfig(1, &s));
  Message m;
  m.type = raftpb::kMsgStorageAppendResp;
  m.from = kLocalAppendThread;
  m.to = 1;
  EXPECT_EQ(n->Step(m).message(), ErrStepLocalResponseMsg().message());
  m.type = raftpb::kMsgStorageApplyResp;
  m.from = kLocalApplyThread;
  EXPECT_EQ(n->Step(m).message(), ErrStepLocalResponseMsg().message());
  // A peer cannot pose as a storage thread or as the node itself.
  m.type = raftpb::kMsgStorageAppend;
  EXPECT_EQ(n->Step(m).message(), ErrStepLocalMsg().message());
  m.type = raftpb::kMsgAppResp;
  m.from = 1;
  m.term = 1;
  EXPECT_FALSE(n->Step(m).ok());
}

// A single voter: every step of the cycle waits for the storage threads.
TEST(RawNodeAsyncTest, SingleNodeCycle) {
  MemoryStorage s;
  SetVoters(&s, {1});
  auto n = NewNode(AsyncConfig(1, &s));
  ASSERT_TRUE(n->Campaign().ok());

  // The vote must be durable before it counts: still a candidate.
  Ready rd = n->GetReady();
  EXPECT_FALSE(rd.hard_state || rd.snapshot);
  EXPECT_TRUE(rd.entries.empty() && rd.committed_entries.empty());
  EXPECT_TRUE(rd.must_sync);
  LocalWork w = Split(rd);
  ASSERT_EQ(w.append.size(), 1u);
  EXPECT_TRUE(w.apply.empty() && w.peers.empty());
  const Message& a = w.append[0];
  EXPECT_EQ((raftpb::HardState{a.term, a.vote, a.commit}),
            (raftpb::HardState{1, 1, 0}));
  ASSERT_EQ(a.responses.size(), 1u);  // No entries: no MsgStorageAppendResp.
  EXPECT_EQ(a.responses[0].type, raftpb::kMsgVoteResp);
  EXPECT_EQ(a.responses[0].to, 1u);
  EXPECT_EQ(n->GetBasicStatus().soft_state.raft_state,
            StateType::kStateCandidate);
  Write(s, a);
  EXPECT_TRUE(StepLocal(*n, w.append[0].responses).empty());
  EXPECT_EQ(n->GetBasicStatus().soft_state.raft_state, StateType::kStateLeader);

  // The leader's empty entry: not committed until its own ack arrives.
  rd = n->GetReady();
  w = Split(rd);
  ASSERT_EQ(w.append.size(), 1u);
  EXPECT_TRUE(w.apply.empty());
  EXPECT_EQ(w.append[0].entries, std::vector<Entry>{Ent(1, 1)});
  ASSERT_EQ(w.append[0].responses.size(), 2u);
  const Message& self_ack = w.append[0].responses[0];
  EXPECT_EQ(self_ack.type, raftpb::kMsgAppResp);
  EXPECT_EQ(self_ack.from, 1u);
  EXPECT_EQ(self_ack.to, 1u);
  EXPECT_EQ(self_ack.index, 1u);
  const Message& stored = w.append[0].responses[1];
  EXPECT_EQ(stored.type, raftpb::kMsgStorageAppendResp);
  EXPECT_EQ(stored.from, kLocalAppendThread);
  EXPECT_EQ(stored.term, 1u);
  EXPECT_EQ(stored.index, 1u);
  EXPECT_EQ(stored.log_term, 1u);
  EXPECT_EQ(n->raft().raft_log().committed(), 0u);
  EXPECT_FALSE(n->HasReady());  // Nothing to do until the write is done.
  Write(s, w.append[0]);
  StepLocal(*n, w.append[0].responses);
  EXPECT_EQ(n->raft().raft_log().committed(), 1u);
  EXPECT_EQ(n->raft().raft_log().unstable().entries().size(), 0u);

  // Commit: persist the new commit index and apply the entry.
  rd = n->GetReady();
  w = Split(rd);
  ASSERT_EQ(w.append.size(), 1u);
  EXPECT_EQ(w.append[0].commit, 1u);
  EXPECT_FALSE(rd.must_sync);  // Only the commit index changed.
  EXPECT_TRUE(w.append[0].responses.empty());
  ASSERT_EQ(w.apply.size(), 1u);
  EXPECT_EQ(w.apply[0].entries, std::vector<Entry>{Ent(1, 1)});
  ASSERT_EQ(w.apply[0].responses.size(), 1u);
  EXPECT_EQ(w.apply[0].responses[0].type, raftpb::kMsgStorageApplyResp);
  EXPECT_EQ(w.apply[0].responses[0].from, kLocalApplyThread);
  EXPECT_EQ(n->raft().raft_log().applying(), 1u);
  EXPECT_EQ(n->raft().raft_log().applied(), 0u);
  // The applied index moves only on the response.
  StepLocal(*n, w.apply[0].responses);
  EXPECT_EQ(n->raft().raft_log().applied(), 1u);
  Write(s, w.append[0]);
  EXPECT_FALSE(n->HasReady());
}

// Several Readies may be in flight: a host keeps calling GetReady while
// the append thread is behind, and entries are applied only once stable.
TEST(RawNodeAsyncTest, PipelinedWritesApplyOnlyStableEntries) {
  MemoryStorage s;
  SetVoters(&s, {1});
  auto n = NewNode(AsyncConfig(1, &s));
  ASSERT_TRUE(n->Campaign().ok());
  std::deque<Message> append_queue;
  auto ready = [&] {
    Ready rd = n->GetReady();
    LocalWork w = Split(rd);
    for (Message& m : w.append) append_queue.push_back(std::move(m));
    return w;
  };
  auto write_one = [&] {
    ASSERT_FALSE(append_queue.empty());
    Message m = std::move(append_queue.front());
    append_queue.pop_front();
    Write(s, m);
    StepLocal(*n, std::move(m.responses));
  };
  ready();
  write_one();  // Vote durable: leader.
  ready();      // Entry 1 handed out.
  ASSERT_TRUE(n->Propose("a").ok());
  ready();  // Entry 2 handed out while entry 1 is being written.
  ASSERT_TRUE(n->Propose("b").ok());
  ready();  // Entry 3.
  EXPECT_EQ(append_queue.size(), 3u);
  write_one();  // Entry 1 durable and committed (a single voter).
  EXPECT_EQ(n->raft().raft_log().committed(), 1u);
  LocalWork w = ready();
  ASSERT_EQ(w.apply.size(), 1u);
  EXPECT_EQ(w.apply[0].entries.back().index, 1u);
  write_one();
  write_one();
  EXPECT_EQ(n->raft().raft_log().committed(), 3u);
  w = ready();
  ASSERT_EQ(w.apply.size(), 1u);
  EXPECT_EQ(w.apply[0].entries.size(), 2u);
  EXPECT_EQ(w.apply[0].entries.back().data.ToString(), "b");
}

// A node of a three-voter group, driven by hand.
struct AsyncNode {
  MemoryStorage storage;
  std::unique_ptr<RawNode> node;
};

std::map<uint64_t, std::unique_ptr<AsyncNode>> ThreeNodes() {
  std::map<uint64_t, std::unique_ptr<AsyncNode>> nodes;
  for (uint64_t id = 1; id <= 3; ++id) {
    auto n = std::make_unique<AsyncNode>();
    SetVoters(&n->storage, {1, 2, 3});
    n->node = NewNode(AsyncConfig(id, &n->storage));
    nodes[id] = std::move(n);
  }
  return nodes;
}

// Processes every Ready, message and storage write until nothing is left
// (the storage threads run right after each Ready).
void Settle(std::map<uint64_t, std::unique_ptr<AsyncNode>>& nodes) {
  std::deque<Message> net;
  for (int round = 0; round < 100; ++round) {
    bool busy = false;
    for (auto& [id, n] : nodes) {
      while (n->node->HasReady()) {
        busy = true;
        Ready rd = n->node->GetReady();
        LocalWork w = Split(rd);
        for (Message& m : w.peers) net.push_back(std::move(m));
        for (Message& m : w.append) {
          Write(n->storage, m);
          for (Message& r : StepLocal(*n->node, std::move(m.responses))) {
            net.push_back(std::move(r));
          }
        }
        for (Message& m : w.apply) StepLocal(*n->node, std::move(m.responses));
      }
    }
    while (!net.empty()) {
      busy = true;
      Message m = std::move(net.front());
      net.pop_front();
      EXPECT_TRUE(nodes.at(m.to)->node->Step(std::move(m)).ok());
    }
    if (!busy) return;
  }
  ADD_FAILURE() << "did not settle";
}

// Followers' acknowledgments and the leader's own entries count toward
// commit only once durable: with the leader's own write still pending, one
// follower's ack is not a quorum (it would be in sync mode).
TEST(RawNodeAsyncTest, LeaderCountsItsOwnEntriesOnlyWhenDurable) {
  auto nodes = ThreeNodes();
  ASSERT_TRUE(nodes[1]->node->Campaign().ok());
  Settle(nodes);
  RawNode& leader = *nodes[1]->node;
  ASSERT_EQ(leader.GetBasicStatus().soft_state.raft_state,
            StateType::kStateLeader);
  const uint64_t commit = leader.raft().raft_log().committed();

  ASSERT_TRUE(leader.Propose("x").ok());
  Ready rd = leader.GetReady();
  LocalWork lw = Split(rd);
  ASSERT_EQ(lw.append.size(), 1u);
  ASSERT_EQ(lw.peers.size(), 2u);  // MsgApps go out before the write.
  EXPECT_EQ(lw.peers[0].type, raftpb::kMsgApp);

  // Follower 2 appends; its ack waits for its write.
  RawNode& f2 = *nodes[2]->node;
  ASSERT_TRUE(f2.Step(lw.peers[0]).ok());
  rd = f2.GetReady();
  LocalWork fw = Split(rd);
  EXPECT_TRUE(fw.peers.empty()) << "an ack was sent before the write";
  ASSERT_EQ(fw.append.size(), 1u);
  Write(nodes[2]->storage, fw.append[0]);
  std::vector<Message> acks = StepLocal(f2, fw.append[0].responses);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].type, raftpb::kMsgAppResp);

  ASSERT_TRUE(leader.Step(acks[0]).ok());
  EXPECT_EQ(leader.raft().raft_log().committed(), commit)
      << "committed with only one durable copy of three";
  Write(nodes[1]->storage, lw.append[0]);
  StepLocal(leader, lw.append[0].responses);
  EXPECT_EQ(leader.raft().raft_log().committed(), commit + 1);
}

// The ABA race of ready.h rule A6: a MsgStorageAppendResp emitted under an
// earlier term must not mark entries stable even when (index, term)
// matches the unstable log again; a response of the current term does.
TEST(RawNodeAsyncTest, AppendResponseOfEarlierTermIsIgnored) {
  MemoryStorage s;
  SetVoters(&s, {1, 2, 3});
  auto n = NewNode(AsyncConfig(2, &s));
  auto app = [](uint64_t term, uint64_t index, uint64_t log_term,
                std::vector<Entry> ents) {
    Message m;
    m.type = raftpb::kMsgApp;
    m.from = 1;
    m.to = 2;
    m.term = term;
    m.index = index;
    m.log_term = log_term;
    m.entries = std::move(ents);
    return m;
  };
  // Term 1: entry (1, 1) from leader 1; its write is queued.
  ASSERT_TRUE(n->Step(app(1, 0, 0, {Ent(1, 1)})).ok());
  Ready rd = n->GetReady();
  LocalWork w1 = Split(rd);
  ASSERT_EQ(w1.append.size(), 1u);
  const Message stale = w1.append[0].responses.back();
  ASSERT_EQ(stale.type, raftpb::kMsgStorageAppendResp);
  EXPECT_EQ(stale.term, 1u);
  // Term 2: leader 3 overwrites index 1 with term 2.
  Message m3 = app(2, 0, 0, {Ent(1, 2)});
  m3.from = 3;
  ASSERT_TRUE(n->Step(m3).ok());
  rd = n->GetReady();
  LocalWork w2 = Split(rd);
  ASSERT_EQ(w2.append.size(), 1u);
  // Term 3: leader 1 again, with the original entry (1, 1).
  ASSERT_TRUE(n->Step(app(3, 0, 0, {Ent(1, 1)})).ok());
  EXPECT_EQ(n->raft().raft_log().LastTerm(), 1u);
  rd = n->GetReady();
  LocalWork w3 = Split(rd);
  ASSERT_EQ(w3.append.size(), 1u);

  // The first write completes: (1, 1) matches the unstable log, but the
  // (1, 2) write is still queued, so the entry is not stable yet.
  Write(s, w1.append[0]);
  StepLocal(*n, w1.append[0].responses);
  EXPECT_EQ(n->raft().raft_log().unstable().entries().size(), 1u);
  EXPECT_EQ(n->raft().raft_log().unstable().offset(), 1u);
  Write(s, w2.append[0]);
  StepLocal(*n, w2.append[0].responses);
  EXPECT_EQ(n->raft().raft_log().unstable().entries().size(), 1u);
  // The write of term 3 completes: now it is.
  Write(s, w3.append[0]);
  StepLocal(*n, w3.append[0].responses);
  EXPECT_TRUE(n->raft().raft_log().unstable().entries().empty());
  EXPECT_EQ(s.Term(1).value(), 1u);
}

// A snapshot carried by a stale-term MsgStorageAppendResp still counts: it
// is committed state.
TEST(RawNodeAsyncTest, SnapshotOfEarlierTermStillCounts) {
  MemoryStorage s;
  SetVoters(&s, {1, 2, 3});
  auto n = NewNode(AsyncConfig(2, &s));
  Message snap;
  snap.type = raftpb::kMsgSnap;
  snap.from = 1;
  snap.to = 2;
  snap.term = 1;
  snap.snapshot.emplace();
  snap.snapshot->metadata.index = 5;
  snap.snapshot->metadata.term = 1;
  snap.snapshot->metadata.conf_state.voters = {1, 2, 3};
  ASSERT_TRUE(n->Step(snap).ok());
  Ready rd = n->GetReady();
  LocalWork w = Split(rd);
  ASSERT_EQ(w.append.size(), 1u);
  ASSERT_TRUE(w.append[0].snapshot.has_value());
  const Message resp = w.append[0].responses.back();
  ASSERT_EQ(resp.type, raftpb::kMsgStorageAppendResp);
  ASSERT_TRUE(resp.snapshot.has_value());
  EXPECT_EQ(resp.snapshot->metadata.index, 5u);
  EXPECT_FALSE(n->raft().Promotable());  // Snapshot pending.

  // A higher term arrives before the write completes.
  Message hb;
  hb.type = raftpb::kMsgHeartbeat;
  hb.from = 3;
  hb.to = 2;
  hb.term = 2;
  hb.commit = 5;
  ASSERT_TRUE(n->Step(hb).ok());
  Write(s, w.append[0]);
  StepLocal(*n, {resp});
  EXPECT_EQ(n->raft().raft_log().applied(), 5u);
  EXPECT_FALSE(n->raft().raft_log().HasNextOrInProgressSnapshot());
  EXPECT_TRUE(n->raft().Promotable());
}

// Local responses are checked like peer messages are.
// max_committed_size_per_ready bounds the entries being applied in async
// mode too: the next MsgStorageApply waits for the previous one's response.
TEST(RawNodeAsyncTest, MaxCommittedSizePerReadyBoundsApplies) {
  MemoryStorage s;
  SetVoters(&s, {1});
  std::vector<Entry> ents;
  for (uint64_t i = 1; i <= 6; ++i) {
    ents.push_back(Ent(i, 1, std::string(100, 'a')));
  }
  ASSERT_TRUE(s.Append(ents).ok());
  s.SetHardState({1, 1, 6});
  Config c = AsyncConfig(1, &s);
  c.max_committed_size_per_ready = 2 * raftpb::EntrySize(ents[0]);
  auto n = NewNode(c);
  uint64_t applied = 0;
  int applies = 0;
  while (n->HasReady()) {
    Ready rd = n->GetReady();
    LocalWork w = Split(rd);
    ASSERT_EQ(w.apply.size(), 1u);
    ASSERT_EQ(w.apply[0].entries.size(), 2u);
    EXPECT_EQ(w.apply[0].entries[0].index, applied + 1);
    // Nothing more to apply until this apply is acknowledged.
    EXPECT_FALSE(n->HasReady());
    applied = w.apply[0].entries.back().index;
    StepLocal(*n, w.apply[0].responses);
    ++applies;
  }
  EXPECT_EQ(applied, 6u);
  EXPECT_EQ(applies, 3);
}

TEST(RawNodeAsyncTest, MalformedLocalResponsesAreRefused) {
  MemoryStorage s;
  SetVoters(&s, {1});
  auto n = NewNode(AsyncConfig(1, &s));
  Message m;
  m.type = raftpb::kMsgStorageAppendResp;
  m.from = kLocalAppendThread;
  m.to = 2;
  EXPECT_FALSE(n->Step(m).ok());  // Not addressed to this node.
  m.to = 1;
  m.term = 5;
  EXPECT_FALSE(n->Step(m).ok());  // From the future.
  m.term = 0;
  m.index = 7;
  m.log_term = 1;
  EXPECT_FALSE(n->Step(m).ok());  // Past the last index.
  Message apply;
  apply.type = raftpb::kMsgStorageApplyResp;
  apply.from = kLocalApplyThread;
  apply.to = 1;
  apply.entries = {Ent(1, 1)};
  EXPECT_FALSE(n->Step(apply).ok());  // Never handed out.
  EXPECT_TRUE(n->CheckInvariants().ok());
}

// Both modes commit the same entries in the same order, whatever the
// interleaving of proposals (a host that runs its storage threads
// immediately). Seeded; the seed is printed on failure.
TEST(RawNodeAsyncTest, BothModesCommitTheSameLog) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<std::vector<Entry>> logs;
  for (bool async : {false, true}) {
    std::mt19937_64 rng(seed);
    auto nodes = ThreeNodes();
    if (!async) {
      for (auto& [id, n] : nodes) {
        Config cfg = test::Cluster::NewConfig(id, &n->storage);
        n->node = NewNode(cfg);
      }
    }
    auto settle_sync = [&] {
      for (int round = 0; round < 100; ++round) {
        bool busy = false;
        std::vector<Message> net;
        for (auto& [id, n] : nodes) {
          while (n->node->HasReady()) {
            busy = true;
            Ready rd = n->node->GetReady();
            if (rd.snapshot) (void)n->storage.ApplySnapshot(*rd.snapshot);
            ASSERT_TRUE(n->storage.Append(rd.entries).ok());
            if (rd.hard_state) n->storage.SetHardState(*rd.hard_state);
            for (Message& m : rd.messages) net.push_back(std::move(m));
            n->node->Advance();
          }
        }
        for (Message& m : net) {
          EXPECT_TRUE(nodes.at(m.to)->node->Step(std::move(m)).ok());
        }
        if (!busy) return;
      }
    };
    auto settle = [&] {
      if (async) {
        Settle(nodes);
      } else {
        settle_sync();
      }
    };
    ASSERT_TRUE(nodes[1]->node->Campaign().ok());
    settle();
    for (int i = 0; i < 20; ++i) {
      uint64_t at = 1 + rng() % 3;
      (void)nodes[at]->node->Propose("p" + std::to_string(i));
      if (rng() % 2 == 0) settle();
    }
    settle();
    std::vector<Entry> log;
    uint64_t last = nodes[1]->storage.LastIndex().value();
    ASSERT_TRUE(nodes[1]->storage.Entries(1, last + 1, kNoLimit, &log).ok());
    for (uint64_t id = 2; id <= 3; ++id) {
      std::vector<Entry> other;
      ASSERT_TRUE(
          nodes[id]->storage.Entries(1, last + 1, kNoLimit, &other).ok());
      EXPECT_EQ(other, log) << "node " << id << (async ? " async" : " sync");
      EXPECT_EQ(nodes[id]->node->raft().raft_log().committed(), last);
    }
    logs.push_back(std::move(log));
  }
  EXPECT_EQ(logs[0], logs[1]);
  EXPECT_EQ(logs[1].size(), 21u);  // The leader's empty entry + 20.
}

}  // namespace
}  // namespace raft
