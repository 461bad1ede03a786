#pragma once

// Helpers to build and drive raft::Raft state machines in tests, after
// etcd/raft's newTestConfig / newTestRaft / newNetwork (raft_test.go).
//
//   auto n = NewRaftNetwork(3);                 // nodes 1..3, all voters
//   n.net->Send(Hup(1));                        // 1 campaigns
//   EXPECT_EQ(n.peers[1]->raft().state(), raft::StateType::kStateLeader);
//
// A RaftPeer owns a raft::Raft and the TestStorage it reads. As a Network
// peer it behaves like a host that handles each Ready at once: before its
// messages leave, it persists its unstable entries, snapshot and hard state
// and steps back the responses addressed to itself.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/config.h"
#include "raft/raft.h"
#include "tests/raft/core_test_util.h"
#include "tests/raft/harness/network.h"
#include "tests/raft/harness/printers.h"
#include "tests/raft/harness/test_storage.h"

namespace raft_test {

// Changes a Config before the Raft is built (pre_vote, check_quorum...).
using ConfigTweak = std::function<void(raft::Config&)>;

// etcd's newTestConfig: max_size_per_msg and max_uncommitted_entries_size
// unlimited, 256 in-flight messages, seed derived from the id.
raft::Config NewTestConfig(uint64_t id, int election, int heartbeat,
                           raft::Storage* storage);

class RaftPeer final : public StateMachine {
 public:
  // etcd's newTestRaft. Aborts when the config is invalid or the storage
  // cannot be read (a broken test).
  static std::unique_ptr<RaftPeer> New(uint64_t id, int election, int heartbeat,
                                       std::unique_ptr<TestStorage> storage,
                                       const ConfigTweak& tweak = nullptr);

  raft::Raft& raft() { return *raft_; }
  const raft::Raft& raft() const { return *raft_; }
  raft::Raft* operator->() { return raft_.get(); }
  TestStorage& storage() { return *storage_; }
  uint64_t id() const { return raft_->id(); }

  // Steps m and checks the node's invariants afterwards.
  base::Status Step(const raftpb::Message& m) override;
  // Persists, steps back self-addressed responses, and returns the
  // messages for other nodes.
  std::vector<raftpb::Message> ReadMessages() override;

 private:
  RaftPeer() = default;

  std::unique_ptr<TestStorage> storage_;
  std::unique_ptr<raft::Raft> raft_;
};

// Steps the messages r queued behind its log append that are addressed to
// itself (its own vote, its own MsgAppResp) back into r, repeatedly, and
// moves the others to r.msgs(). Does not persist anything (etcd's
// advanceMessagesAfterAppend).
void AdvanceMessagesAfterAppend(raft::Raft& r);

// AdvanceMessagesAfterAppend, then returns and clears r's outbound
// messages (etcd's readMessages after the advance).
std::vector<raftpb::Message> ReadMessages(raft::Raft& r);

// Makes r's unstable snapshot, entries and hard state durable in s, as a
// host would after a Ready (entries move from the unstable log to s).
void Persist(raft::Raft& r, TestStorage& s);

// The MsgAppResp accepting MsgApp m (etcd's acceptAndReply). REQUIRES:
// m is a MsgApp.
raftpb::Message AcceptAndReply(const raftpb::Message& m);

// Leader r: replicates its empty entry to everyone, acknowledges it on
// their behalf, persists and applies it (etcd's commitNoopEntry).
void CommitNoopEntry(raft::Raft& r, TestStorage& s);

// Sets r's randomized election timeout (etcd's setRandomizedElectionTimeout).
void SetRandomizedElectionTimeout(raft::Raft& r, int timeout);

// Message constructors for readable tests.
raftpb::Message Hup(uint64_t id);
raftpb::Message Beat(uint64_t id);
raftpb::Message Prop(uint64_t id, std::string_view data = "");
using raft::test::Msg;  // tests/raft/core_test_util.h

// Sorts messages by (to, type, from) so tests need not rely on the order in
// which a node addresses its peers.
void SortMessages(std::vector<raftpb::Message>* msgs);

// A network of raft peers with ids 1..n, all voters, election 10,
// heartbeat 1 (etcd's newNetwork(nil, nil, nil)). Entries of `peers`
// point into the network (it owns them); peers[i] is node i.
struct RaftNetwork {
  std::unique_ptr<Network> net;
  std::map<uint64_t, RaftPeer*> peers;

  raft::Raft& raft(uint64_t id) { return peers.at(id)->raft(); }
};
RaftNetwork NewRaftNetwork(size_t n, const ConfigTweak& tweak = nullptr,
                           uint64_t seed = 0);

}  // namespace raft_test
