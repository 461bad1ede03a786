// The member registry feeds the peer transport (real cairn processes,
// Debian's etcdctl): a removed member is cut off and exits saying why, and
// stays out after a restart; a member's new peer URL (`member update`) is
// dialed by the others at once and, after they restart, from the stored
// registry rather than from their --initial-cluster flags.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <string>

#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

using std::chrono::seconds;

constexpr const char* kRemovedLine =
    "the member has been permanently removed from the cluster";

// A member other than `leader` (and other than `not_this`).
int Follower(int leader, int size, int not_this = -1) {
  for (int i = 0; i < size; ++i) {
    if (i != leader && i != not_this) return i;
  }
  return -1;
}

bool ExitedWithError(Process& p, seconds timeout) {
  return WaitFor([&] { return !p.running(); }, timeout) &&
         WIFEXITED(p.exit_status()) && WEXITSTATUS(p.exit_status()) != 0;
}

TEST(MembershipPeersTest, RemovedMemberIsCutOffAndExits) {
  std::string error;
  auto c = Cluster::Start(Flavor::kCairn, 3, {}, &error);
  ASSERT_NE(c, nullptr) << error;
  int leader = c->WaitLeader(seconds(20));
  ASSERT_GE(leader, 0);
  int gone = Follower(leader, 3);
  int other = Follower(leader, 3, gone);
  std::string id = HexId(c->MemberStatus(gone).member_id);
  CommandResult r = c->Etcdctl({"member", "remove", id}, "", leader);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // etcdctl prints the ID with %16x: space-padded when it starts with a
  // zero nibble.
  EXPECT_NE(r.out.find(" " + id + " removed from cluster"), std::string::npos)
      << r.out;
  Process& p = *c->member(gone).process;
  ASSERT_TRUE(ExitedWithError(p, seconds(15))) << p.ReadLog();
  EXPECT_NE(p.ReadLog().find(kRemovedLine), std::string::npos) << p.ReadLog();

  // The two left serve writes and agree.
  for (int i : {leader, other}) {
    CommandResult put = c->Etcdctl({"put", "after", c->member(i).name}, "", i);
    ASSERT_EQ(put.exit_code, 0) << put.err;
  }
  CommandResult list = c->Etcdctl({"member", "list"}, "", other);
  EXPECT_EQ(list.out.find(id), std::string::npos) << list.out;
  EXPECT_EQ(c->CheckConverged(seconds(20)), "");

  // Restarted with its data dir, it is refused again.
  ASSERT_TRUE(c->StartMember(gone, &error)) << error;
  Process& again = *c->member(gone).process;
  ASSERT_TRUE(ExitedWithError(again, seconds(15))) << again.ReadLog();
  EXPECT_NE(again.ReadLog().find(kRemovedLine), std::string::npos)
      << again.ReadLog();
}

TEST(MembershipPeersTest, UpdatedPeerUrlIsDialedAndSurvivesRestarts) {
  std::string error;
  auto c = Cluster::Start(Flavor::kCairn, 3, {}, &error);
  ASSERT_NE(c, nullptr) << error;
  int leader = c->WaitLeader(seconds(20));
  ASSERT_GE(leader, 0);
  int moved = Follower(leader, 3);
  int other = Follower(leader, 3, moved);
  std::string id = HexId(c->MemberStatus(moved).member_id);
  const int new_port = PickFreePort();
  const std::string new_url = "http://127.0.0.1:" + std::to_string(new_port);
  CommandResult r =
      c->Etcdctl({"member", "update", id, "--peer-urls=" + new_url}, "", 0);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The member moves to the new port; its flags still name the old one
  // (ignored: the data dir has its membership).
  c->StopMember(moved, SIGTERM);
  MemberInfo& m = c->member(moved);
  m.advertised_peer_port = m.peer_port;
  m.peer_port = new_port;
  ASSERT_TRUE(c->StartMember(moved, &error)) << error;
  ASSERT_TRUE(c->WaitHealthy(moved, seconds(30))) << m.process->ReadLog();
  ASSERT_EQ(c->Etcdctl({"put", "k1", "v"}, "", leader).exit_code, 0);
  EXPECT_TRUE(
      WaitFor([&] { return c->KeysOn(moved, "k1").size() == 1; }, seconds(15)))
      << "the leader does not reach the moved member";

  // The others restart with --initial-cluster naming the old URL: they
  // dial the registry's.
  for (int i : {leader, other}) {
    c->StopMember(i, SIGTERM);
    ASSERT_TRUE(c->StartMember(i, &error)) << error;
  }
  for (int i : {leader, other}) {
    ASSERT_TRUE(c->WaitHealthy(i, seconds(30)))
        << c->member(i).process->ReadLog();
  }
  ASSERT_GE(c->WaitLeader(seconds(20)), 0);
  ASSERT_EQ(c->Etcdctl({"put", "k2", "v"}, "", other).exit_code, 0);
  EXPECT_TRUE(
      WaitFor([&] { return c->KeysOn(moved, "k2").size() == 1; }, seconds(15)))
      << "after restarts, the moved member is not reached";
  CommandResult list = c->Etcdctl({"member", "list"}, "", other);
  EXPECT_NE(list.out.find(new_url), std::string::npos) << list.out;
  EXPECT_EQ(c->CheckConverged(seconds(20)), "");
}

}  // namespace
}  // namespace e2e
