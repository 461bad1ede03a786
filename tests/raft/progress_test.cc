// Tests of Progress (raft/tracker/progress.h), after etcd's
// tracker/progress_test.go.

#include "raft/tracker/progress.h"

#include <gtest/gtest.h>

namespace raft::tracker {
namespace {

Progress Make(StateType state, uint64_t match, uint64_t next,
              uint64_t pending_snapshot = 0) {
  Progress p(next, 256, 0, false);
  p.state = state;
  p.match = match;
  p.pending_snapshot = pending_snapshot;
  return p;
}

TEST(ProgressTest, String) {
  Progress p = Make(StateType::kStateSnapshot, 1, 2, 123);
  p.recent_active = false;
  p.msg_app_flow_paused = true;
  p.is_learner = true;
  EXPECT_EQ(p.String(),
            "StateSnapshot match=1 next=2 learner paused pendingSnap=123 "
            "inactive");
  Progress r = Make(StateType::kStateReplicate, 5, 6);
  r.recent_active = true;
  r.inflights.Add(7, 10);
  EXPECT_EQ(r.String(), "StateReplicate match=5 next=6 inflight=1");
}

TEST(ProgressTest, IsPaused) {
  struct Case {
    StateType state;
    bool paused;
    bool want;
  };
  const Case cases[] = {
      {StateType::kStateProbe, false, false},
      {StateType::kStateProbe, true, true},
      {StateType::kStateReplicate, false, false},
      {StateType::kStateReplicate, true, true},
      {StateType::kStateSnapshot, false, true},
      {StateType::kStateSnapshot, true, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(StateTypeName(c.state));
    Progress p = Make(c.state, 0, 1);
    p.msg_app_flow_paused = c.paused;
    EXPECT_EQ(p.IsPaused(), c.want);
  }
}

TEST(ProgressTest, Resume) {
  // An acknowledgment or a rejection unpauses a probe.
  Progress p = Make(StateType::kStateProbe, 0, 2);
  p.msg_app_flow_paused = true;
  p.MaybeDecrTo(1, 1);
  EXPECT_FALSE(p.msg_app_flow_paused);
  p.msg_app_flow_paused = true;
  p.MaybeUpdate(2);
  EXPECT_FALSE(p.msg_app_flow_paused);
}

TEST(ProgressTest, BecomeProbe) {
  struct Case {
    Progress p;
    uint64_t wnext;
  };
  Case cases[] = {
      {Make(StateType::kStateReplicate, 1, 5), 2},
      // From snapshot: past the pending snapshot...
      {Make(StateType::kStateSnapshot, 1, 5, 10), 11},
      // ...unless match is already past it.
      {Make(StateType::kStateSnapshot, 1, 5, 0), 2},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    cases[i].p.BecomeProbe();
    EXPECT_EQ(cases[i].p.state, StateType::kStateProbe);
    EXPECT_EQ(cases[i].p.match, 1u);
    EXPECT_EQ(cases[i].p.next, cases[i].wnext);
  }
}

TEST(ProgressTest, BecomeReplicateAndSnapshot) {
  Progress p = Make(StateType::kStateProbe, 1, 5);
  p.BecomeReplicate();
  EXPECT_EQ(p.state, StateType::kStateReplicate);
  EXPECT_EQ(p.match, 1u);
  EXPECT_EQ(p.next, 2u);

  Progress s = Make(StateType::kStateProbe, 1, 5);
  s.BecomeSnapshot(10);
  EXPECT_EQ(s.state, StateType::kStateSnapshot);
  EXPECT_EQ(s.match, 1u);
  EXPECT_EQ(s.next, 11u);
  EXPECT_EQ(s.pending_snapshot, 10u);
  EXPECT_TRUE(s.IsPaused());
}

TEST(ProgressTest, MaybeUpdate) {
  const uint64_t prevM = 3, prevN = 5;
  struct Case {
    uint64_t update;
    uint64_t wm, wn;
    bool wok;
  };
  const Case cases[] = {
      {prevM - 1, prevM, prevN, false},         // Stale: do not decrease.
      {prevM, prevM, prevN, false},             // Same: no change.
      {prevM + 1, prevM + 1, prevN, true},      // Increase match, keep next.
      {prevM + 2, prevM + 2, prevN + 1, true},  // Increase both.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.update);
    Progress p = Make(StateType::kStateProbe, prevM, prevN);
    EXPECT_EQ(p.MaybeUpdate(c.update), c.wok);
    EXPECT_EQ(p.match, c.wm);
    EXPECT_EQ(p.next, c.wn);
  }
}

TEST(ProgressTest, MaybeDecrTo) {
  struct Case {
    const char* name;
    StateType state;
    uint64_t m, n, rejected, last;
    bool w;
    uint64_t wn;
  };
  const Case cases[] = {
      {"replicate: stale rejection", StateType::kStateReplicate, 5, 10, 5, 5,
       false, 10},
      {"replicate: stale rejection below match", StateType::kStateReplicate, 5,
       10, 4, 4, false, 10},
      {"replicate: back to match+1", StateType::kStateReplicate, 5, 10, 9, 9,
       true, 6},
      {"probe: next-1 != rejected", StateType::kStateProbe, 0, 0, 0, 0, false,
       0},
      {"probe: next-1 != rejected (2)", StateType::kStateProbe, 0, 10, 5, 5,
       false, 10},
      {"probe: next = rejected", StateType::kStateProbe, 0, 10, 9, 9, true, 9},
      {"probe: next never below 1", StateType::kStateProbe, 0, 2, 1, 1, true,
       1},
      {"probe: next never below 1 (2)", StateType::kStateProbe, 0, 1, 0, 0,
       true, 1},
      {"probe: follower's hint", StateType::kStateProbe, 0, 10, 9, 2, true, 3},
      {"probe: hint 0", StateType::kStateProbe, 0, 10, 9, 0, true, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Progress p = Make(c.state, c.m, c.n);
    EXPECT_EQ(p.MaybeDecrTo(c.rejected, c.last), c.w);
    EXPECT_EQ(p.match, c.m);
    EXPECT_EQ(p.next, c.wn);
  }
}

TEST(ProgressTest, UpdateOnEntriesSend) {
  // Replicate: next and the window advance; the window fills.
  Progress p = Make(StateType::kStateReplicate, 5, 6);
  p.inflights = Inflights(2, 0);
  p.UpdateOnEntriesSend(3, 30, 4);
  EXPECT_EQ(p.next, 9u);
  EXPECT_EQ(p.inflights.Count(), 1u);
  EXPECT_FALSE(p.msg_app_flow_paused);
  EXPECT_EQ(p.sent_commit, 4u);
  p.UpdateOnEntriesSend(1, 10, 4);
  EXPECT_EQ(p.next, 10u);
  EXPECT_TRUE(p.msg_app_flow_paused);  // Window full.
  EXPECT_TRUE(p.IsPaused());

  // Probe: one message with entries pauses; an empty one does not.
  Progress q = Make(StateType::kStateProbe, 0, 3);
  q.UpdateOnEntriesSend(0, 0, 1);
  EXPECT_FALSE(q.IsPaused());
  q.UpdateOnEntriesSend(2, 20, 1);
  EXPECT_TRUE(q.IsPaused());
  EXPECT_EQ(q.next, 3u);  // Probes do not advance next.
}

TEST(ProgressTest, CommitHelpers) {
  Progress p = Make(StateType::kStateReplicate, 5, 8);
  EXPECT_EQ(p.HeartbeatCommit(10), 5u);
  EXPECT_EQ(p.HeartbeatCommit(3), 3u);
  p.sent_commit = 3;
  EXPECT_TRUE(p.CanBumpCommit(6));
  EXPECT_FALSE(p.CanBumpCommit(3));
  p.sent_commit = 7;  // Already next - 1.
  EXPECT_FALSE(p.CanBumpCommit(9));
}

TEST(ProgressTest, IsCaughtUp) {
  struct Case {
    const char* name;
    StateType state;
    uint64_t match;
    uint64_t last;
    uint64_t max_lag;
    bool want;
  };
  const Case cases[] = {
      {"replicating, at the last index", StateType::kStateReplicate, 100, 100,
       0, true},
      {"within the lag", StateType::kStateReplicate, 90, 100, 10, true},
      {"one past the lag", StateType::kStateReplicate, 89, 100, 10, false},
      {"probing is not caught up", StateType::kStateProbe, 100, 100, 10, false},
      {"snapshotting is not caught up", StateType::kStateSnapshot, 100, 100, 10,
       false},
      {"empty log", StateType::kStateReplicate, 0, 0, 0, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Progress p = Make(c.state, c.match, c.match + 1);
    EXPECT_EQ(p.IsCaughtUp(c.last, c.max_lag), c.want);
  }
}

}  // namespace
}  // namespace raft::tracker
