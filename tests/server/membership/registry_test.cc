// The member registry: applying configuration change entries (the same
// result on every member, replays decided from raft's configuration alone)
// and etcd's rules checked before proposing.

#include "server/membership/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace server::membership {
namespace {

using Kind = cairnpb::ConfChangeContext;

Registry ThreeVoters() {
  return Registry::FromInitial({{1, "a", {"http://127.0.0.1:1"}},
                                {2, "b", {"http://127.0.0.1:2"}},
                                {3, "c", {"http://127.0.0.1:3"}}});
}

raftpb::ConfState ConfOf(const Registry& r) {
  raftpb::ConfState cs;
  for (const cairnpb::Member& m : r.Members()) {
    (m.is_learner() ? cs.learners : cs.voters).push_back(m.id());
  }
  return cs;
}

raftpb::ConfChange Change(raftpb::ConfChangeType type, Kind::Kind kind,
                          uint64_t id, std::vector<std::string> peer_urls = {},
                          std::string name = "") {
  cairnpb::Member m;
  m.set_id(id);
  m.set_name(name);
  for (const std::string& u : peer_urls) m.add_peer_urls(u);
  raftpb::ConfChange cc;
  cc.type = type;
  cc.node_id = id;
  cc.context = raftpb::Payload(EncodeContext(kind, m));
  return cc;
}

// Applies cc at `index` with raft's configuration taken from the registry
// (they agree by the registry's invariant).
Applied ApplyAt(Registry* r, uint64_t index, raftpb::ConfChange cc,
                uint64_t* raft_node = nullptr) {
  Applied a = r->Apply(index, ConfOf(*r), &cc);
  if (raft_node != nullptr) *raft_node = cc.node_id;
  return a;
}

TEST(RegistryTest, AddPromoteUpdatePublishRemove) {
  Registry r = ThreeVoters();
  uint64_t raft_node = 0;
  Applied a = ApplyAt(&r, 5,
                      Change(raftpb::kConfChangeAddLearnerNode, Kind::ADD, 9,
                             {"http://127.0.0.1:9"}),
                      &raft_node);
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  EXPECT_EQ(a.effect, Applied::Effect::kAdded);
  EXPECT_EQ(raft_node, 9u);
  ASSERT_NE(r.Find(9), nullptr);
  EXPECT_TRUE(r.Find(9)->is_learner());
  EXPECT_EQ(r.Find(9)->name(), "");  // Unstarted.
  EXPECT_EQ(r.index(), 5u);

  a = ApplyAt(&r, 6, Change(raftpb::kConfChangeAddNode, Kind::PROMOTE, 9));
  EXPECT_EQ(a.effect, Applied::Effect::kPromoted);
  EXPECT_FALSE(r.Find(9)->is_learner());

  a = ApplyAt(&r, 7,
              Change(raftpb::kConfChangeUpdateNode, Kind::UPDATE, 9,
                     {"http://127.0.0.1:19"}));
  EXPECT_EQ(a.effect, Applied::Effect::kUpdated);
  EXPECT_EQ(r.Find(9)->peer_urls(0), "http://127.0.0.1:19");

  a = ApplyAt(
      &r, 8, Change(raftpb::kConfChangeUpdateNode, Kind::PUBLISH, 9, {}, "n9"));
  EXPECT_EQ(a.effect, Applied::Effect::kPublished);
  EXPECT_EQ(r.Find(9)->name(), "n9");
  EXPECT_EQ(r.Find(9)->peer_urls(0), "http://127.0.0.1:19");

  a = ApplyAt(&r, 9, Change(raftpb::kConfChangeRemoveNode, Kind::REMOVE, 9),
              &raft_node);
  EXPECT_EQ(a.effect, Applied::Effect::kRemoved);
  EXPECT_EQ(raft_node, 9u);
  EXPECT_EQ(r.Find(9), nullptr);
  EXPECT_TRUE(r.IsRemoved(9));
  EXPECT_EQ(r.VoterIds(), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(RegistryTest, InvalidChangesBecomeNoOpsForRaft) {
  struct Case {
    const char* name;
    raftpb::ConfChange cc;
    std::string error;
  };
  Registry one = Registry::FromInitial({{1, "a", {"http://127.0.0.1:1"}}});
  std::vector<Case> cases = {
      {"add existing", Change(raftpb::kConfChangeAddNode, Kind::ADD, 1),
       "member ID already exist"},
      {"promote voter", Change(raftpb::kConfChangeAddNode, Kind::PROMOTE, 1),
       "can only promote a learner member"},
      {"promote unknown", Change(raftpb::kConfChangeAddNode, Kind::PROMOTE, 7),
       "member not found"},
      {"remove unknown", Change(raftpb::kConfChangeRemoveNode, Kind::REMOVE, 7),
       "member not found"},
      {"remove last voter",
       Change(raftpb::kConfChangeRemoveNode, Kind::REMOVE, 1),
       "not enough started members"},
      {"update unknown",
       Change(raftpb::kConfChangeUpdateNode, Kind::UPDATE, 7, {"http://x:1"}),
       "member not found"},
      {"kind does not match type",
       Change(raftpb::kConfChangeRemoveNode, Kind::ADD, 1), "bad request"},
  };
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    Registry r = one;
    uint64_t raft_node = 99;
    Applied a = ApplyAt(&r, 4, c.cc, &raft_node);
    EXPECT_NE(a.status.message().find(c.error), std::string::npos)
        << a.status.ToString();
    EXPECT_EQ(raft_node, 0u);
    EXPECT_EQ(a.effect, Applied::Effect::kNone);
    EXPECT_EQ(r.Members().size(), 1u);
    EXPECT_EQ(r.index(), 4u);  // Consumed all the same.
  }
}

// After a restart the registry comes from the store (a later index than
// raft's snapshot): replayed entries change nothing here but raft gets the
// same decision as the first time.
TEST(RegistryTest, ReplayDecidesFromRaftConfigurationOnly) {
  Registry r = ThreeVoters();
  raftpb::ConfState before = ConfOf(r);
  raftpb::ConfChange add =
      Change(raftpb::kConfChangeAddNode, Kind::ADD, 4, {"http://127.0.0.1:4"});
  raftpb::ConfChange dup = add;
  ASSERT_TRUE(ApplyAt(&r, 10, add).status.ok());
  Applied again = ApplyAt(&r, 11, dup);  // The same ID once more: refused.
  EXPECT_FALSE(again.status.ok());

  // Replay both with raft's configuration as it was at each entry.
  Registry restored = r;
  raftpb::ConfChange add2 = add;
  Applied a = restored.Apply(10, before, &add2);
  EXPECT_FALSE(a.changed);
  EXPECT_TRUE(a.status.ok());
  EXPECT_EQ(add2.node_id, 4u);
  raftpb::ConfState after = before;
  after.voters.push_back(4);
  raftpb::ConfChange dup2 = add;
  a = restored.Apply(11, after, &dup2);
  EXPECT_FALSE(a.changed);
  EXPECT_EQ(dup2.node_id, 0u);
  EXPECT_EQ(restored.ToProto().SerializeAsString(),
            r.ToProto().SerializeAsString());
}

TEST(RegistryTest, ProtoRoundTrip) {
  Registry r = ThreeVoters();
  ASSERT_TRUE(
      ApplyAt(&r, 3, Change(raftpb::kConfChangeRemoveNode, Kind::REMOVE, 2))
          .status.ok());
  auto back = Registry::FromProto(r.ToProto());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->index(), 3u);
  EXPECT_TRUE(back->IsRemoved(2));
  EXPECT_EQ(back->VoterIds(), (std::vector<uint64_t>{1, 3}));

  cairnpb::Membership bad = r.ToProto();
  bad.add_members()->set_id(1);  // Twice.
  EXPECT_EQ(Registry::FromProto(bad).status().code(),
            base::StatusCode::kDataLoss);
}

TEST(RegistryTest, ChecksBeforeProposing) {
  Registry r = ThreeVoters();
  // Peer URL in use, by add and by update of another member.
  EXPECT_EQ(r.CheckAdd({"http://127.0.0.1:2"}, false, true),
            ErrPeerUrlExists());
  EXPECT_TRUE(r.CheckAdd({"http://127.0.0.1:4"}, false, true).ok());
  EXPECT_EQ(r.CheckUpdate(1, {"http://127.0.0.1:2"}), ErrPeerUrlExists());
  EXPECT_TRUE(r.CheckUpdate(1, {"http://127.0.0.1:1"}).ok());
  EXPECT_EQ(r.CheckUpdate(7, {"http://127.0.0.1:7"}), ErrMemberNotFound());
  // Removal: unknown, and quorum of started members.
  EXPECT_EQ(r.CheckRemove(7, true), ErrMemberNotFound());
  EXPECT_TRUE(r.CheckRemove(3, true).ok());

  // One learner at most (etcd 3.4).
  ASSERT_TRUE(ApplyAt(&r, 4,
                      Change(raftpb::kConfChangeAddLearnerNode, Kind::ADD, 8,
                             {"http://127.0.0.1:8"}))
                  .status.ok());
  EXPECT_EQ(r.CheckAdd({"http://127.0.0.1:9"}, true, true),
            ErrTooManyLearners());
  // Promotion: in sync at 90% of the leader's match.
  EXPECT_EQ(r.CheckPromote(8, 80, 100, true), ErrLearnerNotReady());
  EXPECT_TRUE(r.CheckPromote(8, 90, 100, true).ok());
  EXPECT_EQ(r.CheckPromote(1, 100, 100, true), ErrNotLearner());
  EXPECT_EQ(r.CheckPromote(7, 0, 100, true), ErrMemberNotFound());
  // A learner's removal needs no quorum check.
  EXPECT_TRUE(r.CheckRemove(8, true).ok());
}

TEST(RegistryTest, StrictReconfigCheckCountsStartedVoters) {
  // Two voters of three never started (no name): adding a voter or removing
  // a started one would leave too few started members.
  Registry r = Registry::FromInitial({{1, "a", {"http://127.0.0.1:1"}},
                                      {2, "", {"http://127.0.0.1:2"}},
                                      {3, "", {"http://127.0.0.1:3"}}});
  EXPECT_EQ(r.CheckAdd({"http://127.0.0.1:4"}, false, true),
            ErrNotEnoughStarted());
  EXPECT_TRUE(r.CheckAdd({"http://127.0.0.1:4"}, false, false).ok());
  EXPECT_TRUE(r.CheckAdd({"http://127.0.0.1:4"}, true, true).ok());
  EXPECT_EQ(r.CheckRemove(1, true), ErrNotEnoughStarted());
  EXPECT_TRUE(r.CheckRemove(1, false).ok());
  // A lone member can add a second one (etcd's restore case)...
  Registry one = Registry::FromInitial({{1, "a", {"http://127.0.0.1:1"}}});
  EXPECT_TRUE(one.CheckAdd({"http://127.0.0.1:2"}, false, true).ok());
  // ...but not remove itself.
  EXPECT_EQ(one.CheckRemove(1, true), ErrNotEnoughStarted());
}

}  // namespace
}  // namespace server::membership
