// Runtime membership end to end, the way etcd users do it with Debian's
// etcdctl, while a client writes continuously: grow 1 -> 3 -> 5 (each new
// member added as a learner, started with --initial-cluster-state existing
// and the ETCD_INITIAL_CLUSTER `member add` printed, promoted once caught
// up; once there is a follower, the promotes go to a follower's endpoint
// only, which forwards them to the leader as etcd does), replace a member
// (remove it, add a new one with a new data dir), shrink 5 -> 3 -> 1 (the
// leader removed too). Every removed member exits saying why; at the end every
// acknowledged write is on the last member and the members agree on HashKV.
//
// CAIRN_MEMBERSHIP_ROUNDS (default 1) repeats the replace step and a
// grow/shrink cycle between 3 and 5 members that many times (docs/testing.md).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cluster.h"
#include "tests/e2e/writer.h"

namespace e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kRemovedLine =
    "the member has been permanently removed from the cluster";
constexpr const char* kNotInSync =
    "etcdserver: can only promote a learner member which is in sync with "
    "leader";

class Membership {
 public:
  Membership(Cluster* c, Writer* w) : c_(c), w_(w) { voters_ = {0}; }

  const std::vector<int>& voters() const { return voters_; }
  void set_writer(Writer* w) {
    w_ = w;
    w_->SetThrough(voters_);
  }

  // The voter all voters name as leader, or -1 (e.g. while they still
  // follow a removed leader).
  int Leader() const {
    int leader = -1;
    uint64_t leader_id = 0;
    for (int i : voters_) {
      Cluster::Status st = c_->MemberStatus(i);
      if (!st.ok || st.leader == 0) return -1;
      if (leader_id != 0 && st.leader != leader_id) return -1;
      leader_id = st.leader;
      if (st.leader == st.member_id) leader = i;
    }
    return leader;
  }
  int WaitLeader() const {
    int leader = -1;
    WaitFor(
        [&] {
          leader = Leader();
          return leader >= 0;
        },
        seconds(20));
    return leader;
  }

  // A voter other than `leader`, or `leader` when it is the only one.
  int Follower(int leader) const {
    for (int i : voters_) {
      if (i != leader) return i;
    }
    return leader;
  }
  // How many members were promoted through a follower's endpoint.
  int promoted_via_follower() const { return promoted_via_follower_; }

  // `member add --learner`, a refused early promote, the start with
  // --initial-cluster-state existing, then promote until it is in sync; the
  // promotes are sent to a follower when there is one (etcdctl
  // --endpoints=<follower>).
  void Add(int slot) {
    SCOPED_TRACE("adding " + c_->member(slot).name);
    int leader = WaitLeader();
    ASSERT_GE(leader, 0);
    const int via = Follower(leader);
    CommandResult add =
        c_->Etcdctl({"member", "add", c_->member(slot).name,
                     "--peer-urls=" + c_->PeerUrl(slot), "--learner"},
                    "", leader);
    ASSERT_EQ(add.exit_code, 0) << add.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        add.out, m, std::regex("Member +([0-9a-f]+) added to cluster")))
        << add.out;
    const std::string id = m[1];
    ASSERT_TRUE(std::regex_search(
        add.out, m, std::regex("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"")))
        << add.out;
    const std::string initial = m[1];
    EXPECT_NE(add.out.find("ETCD_INITIAL_CLUSTER_STATE=\"existing\""),
              std::string::npos)
        << add.out;
    // Not started yet, so not in sync: etcd's refusal (the leader's, when
    // sent to a follower).
    CommandResult early = c_->Etcdctl({"member", "promote", id}, "", via);
    EXPECT_NE(early.exit_code, 0);
    EXPECT_NE(early.err.find(kNotInSync), std::string::npos) << early.err;

    std::string error;
    ASSERT_TRUE(c_->StartJoining(slot, initial, &error)) << error;
    bool promoted = WaitFor(
        [&] {
          int l = Leader();
          if (l < 0) return false;
          CommandResult r =
              c_->Etcdctl({"member", "promote", id}, "", Follower(l));
          if (r.exit_code != 0 && r.err.find(kNotInSync) == std::string::npos) {
            ADD_FAILURE() << "promote: " << r.err;
          }
          return r.exit_code == 0;
        },
        seconds(30));
    ASSERT_TRUE(promoted) << c_->member(slot).process->ReadLog();
    if (voters_.size() > 1) ++promoted_via_follower_;
    ASSERT_TRUE(c_->WaitHealthy(slot, seconds(20)))
        << c_->member(slot).process->ReadLog();
    // Started (published) before the next change, as an operator checks
    // with `member list`.
    CommandResult list;
    EXPECT_TRUE(WaitFor(
        [&] {
          list = c_->Etcdctl({"member", "list"}, "", leader);
          return list.out.find(id + ", started, " + c_->member(slot).name) !=
                 std::string::npos;
        },
        seconds(20)))
        << list.out;
    voters_.push_back(slot);
    w_->SetThrough(voters_);
  }

  // `member remove` through another voter; the removed member exits
  // saying why.
  void Remove(int slot) {
    SCOPED_TRACE("removing " + c_->member(slot).name);
    std::vector<int> rest;
    for (int i : voters_) {
      if (i != slot) rest.push_back(i);
    }
    w_->SetThrough(rest);
    const std::string id = HexId(c_->MemberStatus(slot).member_id);
    ASSERT_NE(id, "0");
    ASSERT_GE(WaitLeader(), 0);
    CommandResult r =
        c_->Etcdctl({"member", "remove", id}, "", rest[rest.size() / 2]);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    voters_ = rest;
    Process& p = *c_->member(slot).process;
    ASSERT_TRUE(WaitFor([&] { return !p.running(); }, seconds(20)))
        << "removed member still running; log:\n"
        << p.ReadLog();
    EXPECT_TRUE(WIFEXITED(p.exit_status()) && WEXITSTATUS(p.exit_status()) != 0)
        << p.exit_status();
    EXPECT_NE(p.ReadLog().find(kRemovedLine), std::string::npos) << p.ReadLog();
  }

  // member list through every voter shows exactly the voters, started.
  void CheckList() {
    for (int i : voters_) {
      CommandResult r = c_->Etcdctl({"member", "list"}, "", i);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(
          static_cast<size_t>(std::count(r.out.begin(), r.out.end(), '\n')),
          voters_.size())
          << r.out;
      for (int j : voters_) {
        EXPECT_NE(r.out.find(", started, " + c_->member(j).name + ", " +
                             c_->PeerUrl(j) + ","),
                  std::string::npos)
            << r.out;
      }
      EXPECT_EQ(r.out.find("true"), std::string::npos) << "a learner left";
    }
  }

 private:
  Cluster* c_;
  Writer* w_;
  std::vector<int> voters_;
  int promoted_via_follower_ = 0;
};

TEST(MembershipGrowTest, GrowReplaceShrinkWhileWriting) {
  int rounds = 1;
  if (const char* env = std::getenv("CAIRN_MEMBERSHIP_ROUNDS")) {
    rounds = std::max(1, std::atoi(env));
  }
  std::string error;
  // A small snapshot count: the later members join after compactions.
  auto c = Cluster::Start(
      Flavor::kCairn, 1,
      {"--snapshot-count=200", "--experimental-snapshot-catchup-entries=50"},
      &error);
  ASSERT_NE(c, nullptr) << error;
  // On failure, the members' logs stay for inspection.
  struct KeepOnFailure {
    Cluster* c;
    ~KeepOnFailure() {
      if (!::testing::Test::HasFailure()) return;
      c->KeepData();
      std::printf("membership: logs kept in %s\n", c->dir().c_str());
    }
  } keep{c.get()};
  // Every slot up front: the writer thread reads the member table.
  const int kSlots = 5 + 3 * rounds;
  for (int i = 1; i < kSlots; ++i) c->NewMember("m" + std::to_string(i));
  auto writer = std::make_unique<Writer>(c.get(), std::vector<int>{0}, "w1");
  Membership ms(c.get(), writer.get());
  int next = 1;
  std::vector<std::string> acked;
  // Stops the writer, checks its writes on every voter and that the voters
  // agree.
  auto check = [&] {
    writer->Stop();
    std::vector<std::string> phase = writer->acked();
    std::printf("membership: %zu acknowledged writes with %zu voters\n",
                phase.size(), ms.voters().size());
    EXPECT_GT(phase.size(), 5u);
    acked.insert(acked.end(), phase.begin(), phase.end());
    for (int v : ms.voters()) {
      std::set<std::string> have = c->KeysOn(v, "w");
      for (const std::string& k : acked) {
        EXPECT_TRUE(have.count(k)) << k << " missing on " << c->member(v).name;
      }
    }
    EXPECT_EQ(c->CheckConverged(seconds(30)), "");
  };

  for (int i = 0; i < 4; ++i) {  // 1 -> 3 -> 5
    ASSERT_NO_FATAL_FAILURE(ms.Add(next++));
    if (ms.voters().size() == 3) {
      ASSERT_NO_FATAL_FAILURE(ms.CheckList());
    }
  }
  ASSERT_NO_FATAL_FAILURE(ms.CheckList());
  // The third, fourth and fifth members were promoted through a follower.
  EXPECT_EQ(ms.promoted_via_follower(), 3);
  check();

  writer = std::make_unique<Writer>(c.get(), ms.voters(), "w2");
  ms.set_writer(writer.get());
  for (int r = 0; r < rounds; ++r) {
    SCOPED_TRACE("round " + std::to_string(r));
    // Replace a follower with a new member (new name, data dir, ports).
    int leader = ms.WaitLeader();
    ASSERT_GE(leader, 0);
    int old = ms.voters()[0] == leader ? ms.voters()[1] : ms.voters()[0];
    ASSERT_NO_FATAL_FAILURE(ms.Remove(old));
    ASSERT_NO_FATAL_FAILURE(ms.Add(next++));
    ASSERT_NO_FATAL_FAILURE(ms.CheckList());
    if (r + 1 < rounds) {  // 5 -> 3 -> 5 between rounds.
      for (int k = 0; k < 2; ++k) {
        ASSERT_NO_FATAL_FAILURE(ms.Remove(ms.voters()[0]));
      }
      for (int k = 0; k < 2; ++k) ASSERT_NO_FATAL_FAILURE(ms.Add(next++));
    }
  }
  check();

  writer = std::make_unique<Writer>(c.get(), ms.voters(), "w3");
  ms.set_writer(writer.get());
  // 5 -> 3 -> 1, the leader among the removed.
  int leader = ms.WaitLeader();
  ASSERT_GE(leader, 0);
  ASSERT_NO_FATAL_FAILURE(ms.Remove(leader));
  ASSERT_GE(ms.WaitLeader(), 0);
  while (ms.voters().size() > 1) {
    ASSERT_NO_FATAL_FAILURE(ms.Remove(ms.voters().back()));
    if (ms.voters().size() == 3) {
      ASSERT_NO_FATAL_FAILURE(ms.CheckList());
    }
  }
  ASSERT_NO_FATAL_FAILURE(ms.CheckList());
  std::this_thread::sleep_for(milliseconds(500));
  check();
}

}  // namespace
}  // namespace e2e
