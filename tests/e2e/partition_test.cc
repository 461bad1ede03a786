// A 3-member cairn cluster whose members talk through a fault-injecting
// proxy (peer_proxy.h). The leader is cut off from both followers: it stops
// serving linearizable requests with etcd's errors while the majority elects
// a new leader and serves; after healing, the cluster converges and nothing
// acknowledged is lost.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cluster.h"
#include "tests/e2e/peer_proxy.h"

namespace e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(PartitionTest, IsolatedLeaderStopsServingAndNothingAckedIsLost) {
  std::vector<int> real, advertised;
  for (int i = 0; i < 3; ++i) {
    real.push_back(PickFreePort());
    advertised.push_back(PickFreePort());
  }
  std::string error;
  auto proxy = PeerProxy::Start(advertised, real, &error);
  ASSERT_NE(proxy, nullptr) << error;
  auto c = Cluster::Start(Flavor::kCairn, 3, {}, real, advertised, &error);
  ASSERT_NE(c, nullptr) << error;
  int leader = c->WaitLeader(seconds(20));
  ASSERT_GE(leader, 0);
  EXPECT_GT(proxy->relayed(), 0);
  std::vector<std::string> acked;
  for (int i = 0; i < 5; ++i) {
    std::string key = "p/before" + std::to_string(i);
    ASSERT_EQ(c->Etcdctl({"put", key, "v"}, "", i % 3).exit_code, 0);
    acked.push_back(key);
  }

  uint64_t leader_id = c->MemberStatus(leader).member_id;
  proxy->Isolate(leader_id);
  std::vector<int> majority;
  for (int i = 0; i < 3; ++i) {
    if (i != leader) majority.push_back(i);
  }
  // The majority elects a new leader among itself and serves.
  int new_leader = -1;
  ASSERT_TRUE(WaitFor(
      [&] {
        Cluster::Status a = c->MemberStatus(majority[0]);
        Cluster::Status b = c->MemberStatus(majority[1]);
        if (a.ok && b.ok && a.leader != 0 && a.leader == b.leader &&
            a.leader != leader_id) {
          new_leader = a.leader == a.member_id ? majority[0] : majority[1];
          return true;
        }
        return false;
      },
      seconds(20)))
      << "the majority elected no leader";
  for (int i = 0; i < 5; ++i) {
    std::string key = "p/during" + std::to_string(i);
    CommandResult put = c->Etcdctl({"put", key, "v"}, "", majority[i % 2]);
    ASSERT_EQ(put.exit_code, 0) << put.err;
    acked.push_back(key);
  }
  CommandResult get =
      c->Etcdctl({"get", "p/", "--prefix", "--keys-only"}, "", majority[1]);
  EXPECT_EQ(get.exit_code, 0) << get.err;

  // The isolated old leader stepped down (CheckQuorum): it knows no leader,
  // refuses writes with etcd's "no leader" and lets a linearizable read time
  // out with etcd's error, while a serializable read still answers from its
  // own (stale) state.
  ASSERT_TRUE(WaitFor(
      [&] {
        Cluster::Status s = c->MemberStatus(leader);
        return s.ok && s.leader == 0;
      },
      seconds(10)));
  CommandResult put = c->Etcdctl({"put", "p/minority", "v"}, "", leader);
  EXPECT_NE(put.exit_code, 0);
  EXPECT_NE(put.err.find("etcdserver: no leader"), std::string::npos)
      << put.err;
  CommandResult lin = c->Etcdctl(
      {"get", "p/", "--prefix", "--command-timeout=15s"}, "", leader);
  EXPECT_NE(lin.exit_code, 0);
  EXPECT_NE(lin.err.find("etcdserver: request timed out"), std::string::npos)
      << lin.err;
  CommandResult ser =
      c->Etcdctl({"get", "p/before0", "--consistency=s", "--print-value-only"},
                 "", leader);
  EXPECT_EQ(ser.exit_code, 0);
  EXPECT_EQ(ser.out, "v\n");

  proxy->Heal();
  ASSERT_GE(c->WaitLeader(seconds(30)), 0);
  ASSERT_EQ(c->CheckConverged(seconds(30)), "");
  for (int i = 0; i < 3; ++i) {
    std::set<std::string> have = c->KeysOn(i, "p/");
    for (const std::string& k : acked) {
      EXPECT_TRUE(have.count(k)) << k << " missing on " << c->member(i).name;
    }
    EXPECT_FALSE(have.count("p/minority")) << "an unacknowledged write";
  }
  (void)new_leader;
}

}  // namespace
}  // namespace e2e
