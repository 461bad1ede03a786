// Unit tests of the simulator's parts that do not run raft: the schedule
// format, the network, the state machine, options and the PRNG.

#include <gtest/gtest.h>

#include <string>

#include "fuzz/sim/kv_state_machine.h"
#include "fuzz/sim/network.h"
#include "fuzz/sim/options.h"
#include "fuzz/sim/prng.h"
#include "fuzz/sim/schedule.h"

namespace fuzz::sim {
namespace {

TEST(ScheduleTest, EncodeDecodeRoundTrip) {
  Schedule s = {{EventKind::kTick, 1, 0, 0},
                {EventKind::kDeliver, 0, 0, 7},
                {EventKind::kPartitionBridge, 2, 0, 0b00011},
                {EventKind::kCampaign, 4, 0, 0}};
  EXPECT_EQ(DecodeSchedule(EncodeSchedule(s)), s);
}

TEST(ScheduleTest, DecodeAcceptsAnyBytes) {
  // Kinds wrap around; a trailing partial event is ignored.
  std::string bytes = {char(200), 1, 2, 3, 5};
  Schedule s = DecodeSchedule(bytes);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(static_cast<int>(s[0].kind), 200 % kNumEventKinds);
  EXPECT_EQ(s[0].c, 3);
}

TEST(ScheduleTest, Describe) {
  struct {
    Event e;
    const char* want;
  } cases[] = {
      {{EventKind::kTick, 7, 0, 0}, "tick n3"},  // 7 % 5 = index 2.
      {{EventKind::kPartition, 0, 0, 0b00011}, "partition {1,2} | {3,4,5}"},
      {{EventKind::kPartitionOneWay, 0, 0, 0b00001},
       "partition one-way {1} -/-> {2,3,4,5}"},
      {{EventKind::kPartitionBridge, 2, 0, 0b00011},
       "partition {1,2} | {3,4,5} bridged by n3"},
      {{EventKind::kTransferLeader, 0, 1, 0}, "transfer-leader at n1 to n2"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(DescribeEvent(c.e, 5), c.want);
  }
}

raftpb::Message Msg(uint64_t from, uint64_t to, uint64_t term) {
  raftpb::Message m;
  m.type = raftpb::kMsgHeartbeat;
  m.from = from;
  m.to = to;
  m.term = term;
  return m;
}

TEST(NetworkTest, TakeDuplicateByPosition) {
  Network n(3);
  EXPECT_FALSE(n.Take(0).has_value());
  EXPECT_FALSE(n.Duplicate(0));
  n.Send(Msg(1, 2, 1));
  n.Send(Msg(1, 3, 2));
  EXPECT_TRUE(n.Duplicate(3));  // 3 % 2 = 1: the second message.
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n.Take(1)->term, 2u);
  EXPECT_EQ(n.Take(0)->term, 1u);
  EXPECT_EQ(n.Take(5)->term, 2u);  // The duplicate.
  EXPECT_EQ(n.size(), 0u);
}

TEST(NetworkTest, Partitions) {
  Network n(5);
  n.Partition(0b00011);  // {0,1} | {2,3,4}
  EXPECT_TRUE(n.Blocked(0, 2));
  EXPECT_TRUE(n.Blocked(2, 0));
  EXPECT_FALSE(n.Blocked(0, 1));
  EXPECT_FALSE(n.Blocked(3, 4));
  n.PartitionOneWay(0b00001);  // 0 cannot reach the others; they reach 0.
  EXPECT_TRUE(n.Blocked(0, 1));
  EXPECT_FALSE(n.Blocked(1, 0));
  EXPECT_FALSE(n.Blocked(1, 2));
  n.PartitionBridge(0b00011, 4);  // 4 talks to both sides.
  EXPECT_TRUE(n.Blocked(0, 2));
  EXPECT_FALSE(n.Blocked(0, 4));
  EXPECT_FALSE(n.Blocked(4, 1));
  EXPECT_FALSE(n.Healed());
  n.Heal();
  EXPECT_TRUE(n.Healed());
}

TEST(KvStateMachineTest, ApplyDedupesOperations) {
  KvStateMachine sm;
  EXPECT_TRUE(sm.Apply(2, {7, "k0", "v7"}));
  EXPECT_TRUE(sm.Apply(3, {8, "k0", "v8"}));
  EXPECT_FALSE(sm.Apply(4, {7, "k0", "v7"}));  // A duplicated proposal.
  EXPECT_EQ(sm.Get("k0"), "v8");
  EXPECT_EQ(sm.Get("k1"), "");
  EXPECT_EQ(sm.applied(), 4u);
}

TEST(KvStateMachineTest, SnapshotRoundTrip) {
  KvStateMachine a;
  ASSERT_TRUE(a.Apply(2, {1, "k0", "v1"}));
  ASSERT_TRUE(a.Apply(3, {2, "k2", "v2"}));
  KvStateMachine b;
  ASSERT_TRUE(b.Restore(a.Serialize(), 3));
  EXPECT_EQ(b.Get("k0"), "v1");
  EXPECT_EQ(b.Get("k2"), "v2");
  EXPECT_TRUE(b.HasApplied(2));
  EXPECT_EQ(b.applied(), 3u);
  EXPECT_FALSE(b.Restore("3 k0", 9));  // Malformed: unchanged.
  EXPECT_EQ(b.applied(), 3u);
}

TEST(KvStateMachineTest, CommandRoundTrip) {
  Command c;
  ASSERT_TRUE(DecodeCommand(EncodeCommand({42, "k1", "v42"}), &c));
  EXPECT_EQ(c.op_id, 42u);
  EXPECT_EQ(c.key, "k1");
  EXPECT_EQ(c.value, "v42");
  EXPECT_FALSE(DecodeCommand("", &c));
  EXPECT_FALSE(DecodeCommand("x y", &c));
}

TEST(OptionsTest, FaultsAndBugs) {
  base::Result<Faults> f = ParseFaults("loss,crash");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->loss);
  EXPECT_TRUE(f->crashes);
  EXPECT_FALSE(f->partitions);
  EXPECT_EQ(FormatFaults(*f), "loss,crash");
  EXPECT_EQ(FormatFaults(Faults{}), "all");
  EXPECT_FALSE(ParseFaults("loss,bogus").ok());
  SimOptions o;
  ASSERT_TRUE(ParseBugs("forget-vote,commit-prior-term", &o).ok());
  EXPECT_TRUE(o.forget_vote_on_restart);
  EXPECT_TRUE(o.knobs.commit_prior_term_by_count);
  EXPECT_FALSE(ParseBugs("nope", &o).ok());
  EXPECT_EQ(FormatOptions(o),
            "--seed 1 --nodes 5 --steps 2000 --mode sync --faults all --bugs "
            "commit-prior-term,forget-vote");
}

TEST(PrngTest, SameSeedSameStream) {
  Prng a(123), b(123), c(124);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
  // SplitMix64's first output for seed 0 (a published test vector).
  EXPECT_EQ(Prng(0).Next(), 0xe220a8397b1dcdafULL);
}

}  // namespace
}  // namespace fuzz::sim
