#include "tests/raft/harness/test_raft.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "base/check.h"

namespace raft_test {

raft::Config NewTestConfig(uint64_t id, int election, int heartbeat,
                           raft::Storage* storage) {
  raft::Config c;
  c.id = id;
  c.election_tick = election;
  c.heartbeat_tick = heartbeat;
  c.storage = storage;
  c.max_size_per_msg = raft::kNoLimit;
  c.max_inflight_msgs = 256;
  c.seed = id;
  return c;
}

std::unique_ptr<RaftPeer> RaftPeer::New(uint64_t id, int election,
                                        int heartbeat,
                                        std::unique_ptr<TestStorage> storage,
                                        const ConfigTweak& tweak) {
  std::unique_ptr<RaftPeer> p(new RaftPeer());
  p->storage_ = std::move(storage);
  raft::Config c = NewTestConfig(id, election, heartbeat, p->storage_.get());
  if (tweak) tweak(c);
  auto r = raft::Raft::New(c);
  CAIRN_CHECK(r.ok(), "newTestRaft(%llu): %s",
              static_cast<unsigned long long>(id),
              r.status().ToString().c_str());
  p->raft_ = std::move(r).value();
  return p;
}

base::Status RaftPeer::Step(const raftpb::Message& m) {
  base::Status s = raft_->Step(m);
  base::Status inv = raft_->CheckInvariants();
  CAIRN_CHECK(inv.ok(), "node %llu after %s: %s",
              static_cast<unsigned long long>(raft_->id()),
              raftpb::MessageTypeName(m.type).c_str(), inv.ToString().c_str());
  return s;
}

std::vector<raftpb::Message> RaftPeer::ReadMessages() {
  Persist(*raft_, *storage_);
  return raft_test::ReadMessages(*raft_);
}

void AdvanceMessagesAfterAppend(raft::Raft& r) {
  for (int round = 0; round < 100; ++round) {
    std::vector<raftpb::Message> msgs = std::move(r.msgs_after_append());
    r.msgs_after_append().clear();
    if (msgs.empty()) return;
    for (raftpb::Message& m : msgs) {
      if (m.to == r.id()) {
        (void)r.Step(std::move(m));
      } else {
        r.msgs().push_back(std::move(m));
      }
    }
  }
  CAIRN_CHECK(false, "messages after append do not settle");
}

std::vector<raftpb::Message> ReadMessages(raft::Raft& r) {
  AdvanceMessagesAfterAppend(r);
  std::vector<raftpb::Message> out = std::move(r.msgs());
  r.msgs().clear();
  return out;
}

void Persist(raft::Raft& r, TestStorage& s) {
  raft::RaftLog& log = r.raft_log();
  if (const raftpb::Snapshot* snap = log.NextUnstableSnapshot()) {
    raftpb::Snapshot copy = *snap;
    base::Status st = s.ApplySnapshot(copy);
    CAIRN_CHECK(st.ok(), "%s", st.ToString().c_str());
    log.StableSnapTo(copy.metadata.index);
  }
  auto ents = log.NextUnstableEnts();
  if (!ents.empty()) {
    std::vector<raftpb::Entry> copy(ents.begin(), ents.end());
    base::Status st = s.Append(copy);
    CAIRN_CHECK(st.ok(), "%s", st.ToString().c_str());
    log.StableTo(copy.back().index, copy.back().term);
  }
  s.SetHardState(r.GetHardState());
}

raftpb::Message AcceptAndReply(const raftpb::Message& m) {
  CAIRN_CHECK(m.type == raftpb::kMsgApp, "type should be MsgApp, is %s",
              raftpb::MessageTypeName(m.type).c_str());
  raftpb::Message r;
  r.from = m.to;
  r.to = m.from;
  r.term = m.term;
  r.type = raftpb::kMsgAppResp;
  r.index = m.index + m.entries.size();
  return r;
}

void CommitNoopEntry(raft::Raft& r, TestStorage& s) {
  CAIRN_CHECK(r.state() == raft::StateType::kStateLeader,
              "CommitNoopEntry on a non-leader");
  r.BcastAppend();
  for (const raftpb::Message& m : ReadMessages(r)) {
    CAIRN_CHECK(m.type == raftpb::kMsgApp && m.entries.size() == 1 &&
                    m.entries[0].data.empty(),
                "not a message to append the no-op entry");
    (void)r.Step(AcceptAndReply(m));
  }
  // Ignore the MsgApps that carry the new commit index.
  (void)ReadMessages(r);
  Persist(r, s);
  r.AppliedTo(r.raft_log().committed(), 0);
}

void SetRandomizedElectionTimeout(raft::Raft& r, int timeout) {
  r.set_randomized_election_timeout(timeout);
}

raftpb::Message Hup(uint64_t id) { return Msg(id, id, raftpb::kMsgHup); }
raftpb::Message Beat(uint64_t id) { return Msg(id, id, raftpb::kMsgBeat); }

raftpb::Message Prop(uint64_t id, std::string_view data) {
  raftpb::Message m = Msg(id, id, raftpb::kMsgProp);
  raftpb::Entry e;
  e.data = raftpb::Payload(data);
  m.entries.push_back(std::move(e));
  return m;
}

void SortMessages(std::vector<raftpb::Message>* msgs) {
  std::stable_sort(msgs->begin(), msgs->end(),
                   [](const raftpb::Message& a, const raftpb::Message& b) {
                     return std::make_tuple(a.to, a.type, a.from) <
                            std::make_tuple(b.to, b.type, b.from);
                   });
}

RaftNetwork NewRaftNetwork(size_t n, const ConfigTweak& tweak, uint64_t seed) {
  RaftNetwork rn;
  rn.net = std::make_unique<Network>(seed);
  std::vector<uint64_t> ids;
  for (uint64_t id = 1; id <= n; ++id) ids.push_back(id);
  for (uint64_t id : ids) {
    auto p = RaftPeer::New(id, 10, 1, TestStorage::WithPeers(ids), tweak);
    rn.peers[id] = p.get();
    rn.net->AddPeer(id, std::move(p));
  }
  return rn;
}

}  // namespace raft_test
