// Watch end to end. WatchCompatTest runs one etcdctl script against a cairn
// member and a real etcd 3.4 member side by side and compares what etcdctl
// printed (history replay with --rev, --prefix, ranges, --prev-kv, -w json,
// interactive mode with progress, live events, a compacted start). The
// protocol cases etcdctl cannot reach (watch IDs, filters, fragments,
// progress notifications, 10,000 watchers with slow readers) run through
// watch_client.py (python3-grpcio) and check cairn and etcd alike.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "tests/e2e/cluster.h"
#include "tests/e2e/compat.h"

namespace e2e {
namespace {

// Each watch runs in the background for a fixed time and writes to its own
// file, so concurrent watches do not interleave; files are printed in order.
constexpr const char* kScript = R"(
set -u
D=$(mktemp -d)
run() { n=$1; shift; timeout -s INT 2 etcdctl watch "$@" >"$D/$n" 2>&1; echo "exit=$?" >>"$D/$n"; }
ctl() { etcdctl "$@" >/dev/null; }
ctl put a 1; ctl put ab 2; ctl put b 3; ctl del a; ctl put a 5
ctl txn <<EOF

put c 6
put d 7
del b


EOF
ctl put ab 8
run prefix a --prefix --rev=1 &
run single a --rev=1 --prev-kv &
run range a c --rev=2 &
run all "" --prefix --rev=3 --prev-kv &
run json ab --rev=1 -w json &
run future a --prefix --rev=100 &
run live live --prefix --prev-kv &
sleep 0.8
ctl put live/1 x; ctl put live/1 y; ctl put other z; ctl del live/1
ctl txn <<EOF

put live/2 p
put live/3 q


EOF
wait
(echo "watch a --rev 1"; sleep 0.5; echo "progress"; sleep 1) |
  etcdctl watch -i >"$D/interactive" 2>&1
ctl compact 5
run compacted a --prefix --rev=2
run atcompact a --prefix --rev=5
for f in prefix single range all json future live interactive compacted atcompact; do
  echo "== $f"; cat "$D/$f"
done
rm -rf "$D"
)";

TEST(WatchCompatTest, EtcdctlWatchMatchesEtcd) {
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunScriptOnBoth({}, kScript, &run, &error)) << error;
  const std::string& from_etcd = run.etcd[0];
  // The reference saw what the script is about.
  EXPECT_NE(from_etcd.find("live/3"), std::string::npos) << from_etcd;
  EXPECT_NE(from_etcd.find("progress notify"), std::string::npos) << from_etcd;
  EXPECT_NE(from_etcd.find("compacted"), std::string::npos) << from_etcd;
  EXPECT_EQ(run.cairn[0], from_etcd);
}

// Runs watch_client.py CASE against member 0 of `c`.
CommandResult RunClient(Cluster& c, const std::string& name,
                        const std::string& seed = "") {
  std::vector<std::string> argv = {"/usr/bin/python3", CAIRN_WATCH_CLIENT,
                                   CAIRN_PB_PY_DIR,
                                   std::to_string(c.member(0).client_port)};
  argv.push_back(name);
  if (!seed.empty()) argv.push_back(seed);
  return RunCommand(argv, "", std::chrono::seconds(120));
}

// Each case runs against etcd (so the client's expectations are etcd's)
// and against cairn.
class WatchProtocolTest : public testing::TestWithParam<const char*> {};

TEST_P(WatchProtocolTest, SameAsEtcd) {
  const std::vector<std::string> flags = {
      "--experimental-watch-progress-notify-interval=300ms"};
  for (Flavor flavor : {Flavor::kEtcd, Flavor::kCairn}) {
    std::string error;
    auto c = Cluster::Start(flavor, 1, flags, &error);
    ASSERT_NE(c, nullptr) << error;
    CommandResult r = RunClient(*c, GetParam());
    EXPECT_EQ(r.exit_code, 0) << (flavor == Flavor::kEtcd ? "etcd" : "cairn")
                              << ": " << r.out << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, WatchProtocolTest,
                         testing::Values("ids", "filters", "history",
                                         "compacted", "fragment", "progress"));

// 10,000 watchers, a burst of writes, a stalled stream: every event once and
// in order. WATCH_SEED replays a run.
TEST(WatchManyTest, TenThousandWatchersBurst) {
  std::string error;
  auto c = Cluster::Start(Flavor::kCairn, 1, {}, &error);
  ASSERT_NE(c, nullptr) << error;
  const char* seed = std::getenv("WATCH_SEED");
  CommandResult r = RunClient(*c, "many", seed != nullptr ? seed : "");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::printf("%s", r.out.c_str());
}

}  // namespace
}  // namespace e2e
