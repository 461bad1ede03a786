// Leases in a 3-member cairn cluster: keep-alives and time-to-live queries
// sent to a follower reach the leader's lease clock (forwarded on the peer
// port, as etcd forwards them to its leader), and a leader kill does not
// expire a lease early (the new leader restarts every TTL, extended by an
// election timeout, as etcd does).

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Grant(const Cluster& c, int ttl, int member) {
  CommandResult r =
      c.Etcdctl({"lease", "grant", std::to_string(ttl)}, "", member);
  std::smatch m;
  static const std::regex re("lease ([0-9a-f]+) granted");
  if (!std::regex_search(r.out, m, re)) return "";
  return m[1];
}

// The remaining TTL `etcdctl lease timetolive` prints through `member`, or
// -1 (expired, unknown or no answer).
int Remaining(const Cluster& c, const std::string& lease, int member) {
  CommandResult r = c.Etcdctl({"lease", "timetolive", lease}, "", member);
  std::smatch m;
  static const std::regex re("remaining\\(([0-9]+)s\\)");
  if (!std::regex_search(r.out, m, re)) return -1;
  return std::stoi(m[1]);
}

std::string Get(const Cluster& c, const std::string& key, int member) {
  return c.Etcdctl({"get", key, "--print-value-only"}, "", member).out;
}

// A background `etcdctl lease keep-alive` through one member.
class KeepAlive {
 public:
  KeepAlive(Cluster& c, const std::string& lease, int member) {
    std::string error;
    started_ = process_.Start({"etcdctl", "--endpoints", c.Endpoints(member),
                               "lease", "keep-alive", lease},
                              c.dir() + "/keepalive-" + lease + ".log", &error);
    EXPECT_TRUE(started_) << error;
  }
  ~KeepAlive() { Stop(); }
  void Stop() {
    if (started_ && process_.running()) process_.Stop(SIGINT);
  }
  std::string Log() const { return process_.ReadLog(); }

 private:
  Process process_;
  bool started_ = false;
};

int OtherThan(int a, int b = -1) {
  for (int i = 0; i < 3; ++i) {
    if (i != a && i != b) return i;
  }
  return -1;
}

// A 3-member cairn cluster with an agreed leader.
class LeaseClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    c = Cluster::Start(Flavor::kCairn, 3, {}, &error);
    ASSERT_NE(c, nullptr) << error;
    leader = c->WaitLeader(seconds(20));
    ASSERT_GE(leader, 0);
    follower = OtherThan(leader);
  }

  std::unique_ptr<Cluster> c;
  int leader = -1;
  int follower = -1;
};

TEST_F(LeaseClusterTest, KeepAliveAndTimeToLiveThroughAFollower) {
  const std::string lease = Grant(*c, 3, follower);
  ASSERT_FALSE(lease.empty());
  ASSERT_EQ(
      c->Etcdctl({"put", "--lease=" + lease, "k", "v"}, "", follower).exit_code,
      0);
  // Every member lists the same leases (the leader's list).
  const std::string list = c->Etcdctl({"lease", "list"}, "", leader).out;
  EXPECT_NE(list.find(lease), std::string::npos) << list;
  EXPECT_EQ(c->Etcdctl({"lease", "list"}, "", follower).out, list);
  {
    // Kept alive only through the follower, for three TTLs.
    KeepAlive keep(*c, lease, follower);
    std::this_thread::sleep_for(seconds(9));
    EXPECT_EQ(Get(*c, "k", leader), "v\n");
    EXPECT_EQ(Get(*c, "k", follower), "v\n");
    // The follower answers with the leader's clock: renewed a second ago
    // at most, so 2 s (truncated) or 1 s remain, on either member.
    EXPECT_GE(Remaining(*c, lease, follower), 1);
    EXPECT_GE(Remaining(*c, lease, leader), 1);
    keep.Stop();
    // The keep-alive answers carried the TTL the leader granted.
    const std::string log = keep.Log();
    EXPECT_NE(log.find("lease " + lease + " keepalived with TTL(3)"),
              std::string::npos)
        << log;
    EXPECT_EQ(log.find("error"), std::string::npos) << log;
  }
  // Without keep-alives it expires by the leader's clock: gone within the
  // TTL plus the revoke's scan interval and commit.
  EXPECT_TRUE(
      WaitFor([&] { return Get(*c, "k", follower).empty(); }, seconds(6)));
  EXPECT_EQ(Remaining(*c, lease, follower), -1);
  CommandResult once =
      c->Etcdctl({"lease", "keep-alive", "--once", lease}, "", follower);
  EXPECT_NE((once.out + once.err).find("requested lease not found"),
            std::string::npos)
      << once.out << once.err;
}

TEST_F(LeaseClusterTest, LeaderKillDuringKeepAliveExpiresNothingEarly) {
  const std::string kept = Grant(*c, 3, follower);
  const std::string idle = Grant(*c, 4, follower);
  ASSERT_FALSE(kept.empty());
  ASSERT_FALSE(idle.empty());
  ASSERT_EQ(c->Etcdctl({"put", "--lease=" + kept, "kept", "1"}, "", follower)
                .exit_code,
            0);
  ASSERT_EQ(c->Etcdctl({"put", "--lease=" + idle, "idle", "1"}, "", follower)
                .exit_code,
            0);
  const int third = OtherThan(leader, follower);
  KeepAlive keep(*c, kept, follower);
  std::this_thread::sleep_for(seconds(2));
  const auto killed_at = std::chrono::steady_clock::now();
  // (The member ID is read before the kill.)
  const uint64_t old_id = c->MemberStatus(leader).member_id;
  c->StopMember(leader, SIGKILL);
  int next = -1;
  WaitFor(
      [&] {
        Cluster::Status a = c->MemberStatus(follower);
        Cluster::Status b = c->MemberStatus(third);
        if (!a.ok || !b.ok || a.leader == 0 || a.leader != b.leader ||
            a.leader == old_id) {
          return false;
        }
        next = a.leader == a.member_id ? follower : third;
        return true;
      },
      seconds(20));
  ASSERT_GE(next, 0) << "no new leader";
  // The idle lease had 2 s left when the leader died; the new leader
  // restarted its 4 s (plus an election timeout): it lives at least until
  // 4 s after the kill.
  std::this_thread::sleep_for(milliseconds(3800) -
                              (std::chrono::steady_clock::now() - killed_at));
  EXPECT_EQ(Get(*c, "idle", follower), "1\n");
  // The kept lease stays alive through the failover, renewed by the new
  // leader from the follower's keep-alives.
  std::this_thread::sleep_for(seconds(5));
  EXPECT_EQ(Get(*c, "kept", follower), "1\n");
  EXPECT_GE(Remaining(*c, kept, follower), 1);
  EXPECT_GE(Remaining(*c, kept, third), 1);
  // The idle one is gone by now (4 s + 1 s extension + a scan).
  EXPECT_EQ(Get(*c, "idle", follower), "");
  keep.Stop();
}

}  // namespace
}  // namespace e2e
