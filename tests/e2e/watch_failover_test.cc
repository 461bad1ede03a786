// A watch across a leader kill in a 3-member cairn cluster, with etcdctl:
// one `etcdctl watch --prefix` on a follower and one on the leader while a
// writer puts through the followers; the leader is killed with SIGKILL and
// writes go on through the survivors. The follower's watch must deliver
// every revision of the prefix exactly once, in order, and so must a raw
// gRPC Watch stream on the same follower (clientv3 would hide a stream the
// member ended by re-watching). The leader's watch breaks with its member;
// a client re-watching on a survivor from its last revision + 1 must get
// exactly the events it missed, and once the killed member is back, a watch
// there from the first revision replays them all.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
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
using Clock = std::chrono::steady_clock;

constexpr const char* kPrefix = "w/";

// Every number after "key": in `text`, in order.
std::vector<int64_t> NumbersAfter(const std::string& text,
                                  const std::string& key) {
  std::vector<int64_t> out;
  const std::string needle = "\"" + key + "\":";
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at)) {
    at += needle.size();
    out.push_back(std::stoll(text.substr(at, 20)));
  }
  return out;
}

// `etcdctl watch --prefix w/ -w json` against one member, in the
// background; Revisions() are the mod_revisions of the events it printed.
class EtcdctlWatch {
 public:
  EtcdctlWatch(const Cluster& c, int member, const std::string& log,
               int64_t start_rev = 0) {
    std::vector<std::string> argv = {
        "etcdctl", "--endpoints=" + c.Endpoints(member),
        "watch",   "--prefix",
        kPrefix,   "-w",
        "json"};
    if (start_rev > 0) argv.push_back("--rev=" + std::to_string(start_rev));
    std::string error;
    EXPECT_TRUE(proc_.Start(argv, log, &error)) << error;
  }
  ~EtcdctlWatch() { proc_.Stop(SIGTERM); }
  // The revisions at or after `from`.
  std::vector<int64_t> Revisions(int64_t from = 0) const {
    std::vector<int64_t> all = NumbersAfter(proc_.ReadLog(), "mod_revision");
    std::vector<int64_t> out;
    for (int64_t r : all) {
      if (r >= from) out.push_back(r);
    }
    return out;
  }
  bool WaitRevision(int64_t rev, milliseconds timeout) const {
    return WaitFor(
        [&] {
          std::vector<int64_t> r = Revisions();
          return !r.empty() && r.back() >= rev;
        },
        timeout);
  }
  std::string Log() const { return proc_.ReadLog(); }

 private:
  Process proc_;
};

// A raw Watch stream on the prefix from watch_client.py (grpcio), which
// does not reconnect as clientv3 does: it shows whether the member itself
// kept the stream open.
class RawWatch {
 public:
  RawWatch(Cluster& c, int member, const std::string& log) {
    std::string error;
    EXPECT_TRUE(
        proc_.Start({"/usr/bin/python3", CAIRN_WATCH_CLIENT, CAIRN_PB_PY_DIR,
                     std::to_string(c.member(member).client_port), "tail"},
                    log, &error))
        << error;
  }
  ~RawWatch() { proc_.Stop(SIGKILL); }
  bool WaitCreated() {
    return WaitFor(
        [&] { return proc_.ReadLog().find("created\n") != std::string::npos; },
        seconds(20));
  }
  std::vector<int64_t> Revisions(int64_t from) const {
    std::vector<int64_t> out;
    const std::string log = proc_.ReadLog();
    for (size_t at = log.find("rev "); at != std::string::npos;
         at = log.find("rev ", at)) {
      at += 4;
      int64_t r = std::stoll(log.substr(at, 20));
      if (r >= from) out.push_back(r);
    }
    return out;
  }
  bool running() { return proc_.running(); }
  std::string Log() const { return proc_.ReadLog(); }

 private:
  Process proc_;
};

// The revision of a put, from `etcdctl put -w json`.
int64_t Put(const Cluster& c, int member, const std::string& key) {
  CommandResult r = c.Etcdctl({"put", key, "x", "-w", "json"}, "", member);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<int64_t> rev = NumbersAfter(r.out, "revision");
  return rev.empty() ? 0 : rev.front();
}

std::string Show(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t x : v) s += std::to_string(x) + " ";
  return s;
}

TEST(WatchFailoverTest, FollowerWatchSurvivesLeaderKill) {
  std::string error;
  auto c = Cluster::Start(Flavor::kCairn, 3, {}, &error);
  ASSERT_NE(c, nullptr) << error;
  const int leader = c->WaitLeader(seconds(20));
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % 3;
  const int other = (leader + 2) % 3;

  EtcdctlWatch on_follower(*c, follower, c->dir() + "/watch-follower.log");
  EtcdctlWatch on_leader(*c, leader, c->dir() + "/watch-leader.log");
  RawWatch raw(*c, follower, c->dir() + "/watch-raw.log");
  ASSERT_TRUE(raw.WaitCreated()) << raw.Log();
  // Both watches are live once they print a put made after they started
  // (etcdctl prints no "created"). Revisions before `first` are left out.
  int64_t first = 0;
  int attempt = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        first = Put(*c, follower,
                    std::string(kPrefix) + "start" + std::to_string(attempt++));
        return on_follower.WaitRevision(first, milliseconds(300)) &&
               on_leader.WaitRevision(first, milliseconds(300));
      },
      seconds(20)))
      << on_follower.Log() << on_leader.Log();

  Writer writer(c.get(), {follower, other}, std::string(kPrefix) + "k");
  std::this_thread::sleep_for(milliseconds(1500));
  const size_t acked_before_kill = writer.acked().size();
  c->StopMember(leader, SIGKILL);
  const auto killed = Clock::now();
  // Writes resume through the survivors.
  ASSERT_TRUE(
      WaitFor([&] { return writer.acked().size() >= acked_before_kill + 5; },
              seconds(30)))
      << "no writes after the kill";
  std::printf(
      "writes resumed %.0f ms after the kill\n",
      std::chrono::duration<double, std::milli>(Clock::now() - killed).count());
  std::this_thread::sleep_for(milliseconds(1000));
  writer.Stop();
  const std::vector<std::string> acked = writer.acked();

  // Every revision of the prefix, from a survivor's keys (each key was
  // written once, so its mod_revision is its write's revision). The watch
  // on the leader began before `first` too, so both start there.
  CommandResult get =
      c->Etcdctl({"get", kPrefix, "--prefix", "-w", "json", "--consistency=s"},
                 "", follower);
  ASSERT_EQ(get.exit_code, 0) << get.err;
  std::vector<int64_t> want;
  for (int64_t r : NumbersAfter(get.out, "mod_revision")) {
    if (r >= first) want.push_back(r);
  }
  std::sort(want.begin(), want.end());
  ASSERT_FALSE(want.empty());
  ASSERT_EQ(want.front(), first);
  std::set<std::string> keys = c->KeysOn(follower, kPrefix);
  for (const std::string& k : acked) {
    EXPECT_TRUE(keys.count(k)) << "acknowledged " << k << " missing";
  }
  std::set<std::string> on_other = c->KeysOn(other, kPrefix);
  EXPECT_EQ(on_other, keys);

  // The follower's watch: every revision once, in order, none missing.
  ASSERT_TRUE(on_follower.WaitRevision(want.back(), seconds(10)))
      << "have " << Show(on_follower.Revisions(first)) << "\nwant "
      << Show(want);
  std::this_thread::sleep_for(milliseconds(300));  // A duplicate shows now.
  EXPECT_EQ(Show(on_follower.Revisions(first)), Show(want));

  // So did the raw stream: the member kept it open across the failover.
  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<int64_t> r = raw.Revisions(first);
        return !r.empty() && r.back() >= want.back();
      },
      seconds(10)))
      << raw.Log();
  EXPECT_TRUE(raw.running()) << raw.Log();
  EXPECT_EQ(Show(raw.Revisions(first)), Show(want));

  // The leader's watch saw a prefix of them and then stopped; a new watch
  // on a survivor from the revision after its last resumes exactly there.
  std::vector<int64_t> before = on_leader.Revisions(first);
  ASSERT_FALSE(before.empty());
  ASSERT_LE(before.size(), want.size());
  EXPECT_EQ(Show(before), Show(std::vector<int64_t>(
                              want.begin(), want.begin() + before.size())));
  EtcdctlWatch resumed(*c, other, c->dir() + "/watch-resumed.log",
                       before.back() + 1);
  ASSERT_TRUE(resumed.WaitRevision(want.back(), seconds(10))) << resumed.Log();
  std::this_thread::sleep_for(milliseconds(300));
  std::vector<int64_t> joined = before;
  for (int64_t r : resumed.Revisions()) joined.push_back(r);
  EXPECT_EQ(Show(joined), Show(want));
  std::printf(
      "%zu revisions (%zu acknowledged writes, %zu before the kill); the "
      "leader's watch had %zu, the resumed watch %zu\n",
      want.size(), acked.size(), acked_before_kill, before.size(),
      resumed.Revisions().size());

  // The killed member restarts, catches up, and replays the same history
  // to a watch from `first`.
  ASSERT_TRUE(c->StartMember(leader, &error)) << error;
  ASSERT_TRUE(c->WaitHealthy(leader, seconds(30)))
      << c->member(leader).process->ReadLog();
  EtcdctlWatch replay(*c, leader, c->dir() + "/watch-replay.log", first);
  ASSERT_TRUE(replay.WaitRevision(want.back(), seconds(10))) << replay.Log();
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(Show(replay.Revisions()), Show(want));
}

// etcd's "hasleader" metadata (clientv3.WithRequireLeader, which
// Kubernetes' watches use): on a member left without a quorum, a Watch
// stream that asked for a leader ends with UNAVAILABLE "etcdserver: no
// leader" after three election timeouts without one, one that did not ask
// stays open, and a new one that asks is refused at once. Checked against
// etcd and cairn alike (watch_client.py `noleader`).
TEST(WatchFailoverTest, RequireLeaderStreamEndsWithoutQuorum) {
  for (Flavor flavor : {Flavor::kEtcd, Flavor::kCairn}) {
    SCOPED_TRACE(flavor == Flavor::kEtcd ? "etcd" : "cairn");
    std::string error;
    auto c = Cluster::Start(flavor, 3, {}, &error);
    ASSERT_NE(c, nullptr) << error;
    const int leader = c->WaitLeader(seconds(20));
    ASSERT_GE(leader, 0);
    const int kept = (leader + 1) % 3;
    Process client;
    ASSERT_TRUE(
        client.Start({"/usr/bin/python3", CAIRN_WATCH_CLIENT, CAIRN_PB_PY_DIR,
                      std::to_string(c->member(kept).client_port), "noleader"},
                     c->dir() + "/noleader.log", &error))
        << error;
    ASSERT_TRUE(WaitFor(
        [&] { return client.ReadLog().find("ready\n") != std::string::npos; },
        seconds(20)))
        << client.ReadLog();
    const auto killed = Clock::now();
    for (int i = 0; i < c->size(); ++i) {
      if (i != kept) c->StopMember(i, SIGKILL);
    }
    ASSERT_TRUE(WaitFor([&] { return !client.running(); }, seconds(45)))
        << client.ReadLog();
    EXPECT_NE(client.ReadLog().find("noleader: ok"), std::string::npos)
        << client.ReadLog();
    std::printf("%s: the client saw the stream end %.1f s after the kill\n",
                flavor == Flavor::kEtcd ? "etcd" : "cairn",
                std::chrono::duration<double>(Clock::now() - killed).count());
  }
}

}  // namespace
}  // namespace e2e
