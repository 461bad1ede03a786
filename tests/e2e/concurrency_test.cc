// Locks and elections end to end, each against a cairn member and a real
// etcd 3.4 member side by side:
//   - `etcdctl lock` (the client-side Mutex recipe: txn, lease keep-alive,
//     watch) with several contenders: mutual exclusion and FIFO order in
//     the log they write, and a holder killed with SIGKILL handing over
//     once its lease expires;
//   - `etcdctl elect` (the client-side Election recipe) with three
//     candidates and an observer: one leader at a time, the next takes over
//     when the leader resigns (SIGINT);
//   - the v3lock and v3election gRPC services through
//     concurrency_client.py (python3-grpcio).

#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/cluster.h"
#include "tests/e2e/compat.h"

namespace e2e {
namespace {

constexpr const char* kLockScript = R"sh(
set -u
D=$(mktemp -d)
# etcdctl runs the command while it holds the lock.
echo 'echo start $1 >>"$D/log"; sleep 0.4; echo end $1 >>"$D/log"' >"$D/crit"
echo 'echo $1 >>"$D/crash"; exec sleep $2' >"$D/hold"
export D
for i in 1 2 3 4; do
  etcdctl lock --ttl=3 L sh "$D/crit" $i >/dev/null 2>&1 &
  sleep 0.15
done
wait
echo "== fifo"; cat "$D/log"
etcdctl lock --ttl=2 K sh "$D/hold" holder 4 >/dev/null 2>&1 &
H=$!
sleep 0.7
etcdctl lock --ttl=2 K sh "$D/hold" waiter 0 >/dev/null 2>&1 &
W=$!
sleep 0.7
echo "killed" >>"$D/crash"
pkill -9 -P $H
# etcdctl may already have exited on its command's death.
kill -9 $H 2>/dev/null
# The holder's lease (2 s, no longer kept alive) expires; the waiter runs.
i=0; while kill -0 $W 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "== crash"; cat "$D/crash"
rm -rf "$D"
)sh";

constexpr const char* kElectScript = R"sh(
set -u
D=$(mktemp -d)
etcdctl elect -l E >"$D/obs" 2>&1 &
O=$!
sleep 0.4
etcdctl elect E c1 >"$D/c1" 2>&1 &
P1=$!
sleep 0.4
etcdctl elect E c2 >"$D/c2" 2>&1 &
P2=$!
sleep 0.3
etcdctl elect E c3 >"$D/c3" 2>&1 &
P3=$!
sleep 0.6
ids() { sed 's#E/[0-9a-f]*#E/<id>#' "$@"; }
show() { echo "== $1"; for c in c1 c2 c3; do echo "$c: $(ids $D/$c | tr '\n' ' ')"; done; }
show "c1 leads"
kill -INT $P1; wait $P1; sleep 0.6
show "c2 leads"
kill -INT $P2; wait $P2; sleep 0.6
show "c3 leads"
kill -INT $P3; wait $P3; sleep 0.4
kill -INT $O; wait $O
echo "== observer"; ids "$D/obs"
rm -rf "$D"
)sh";

TEST(LockTest, EtcdctlLockExclusiveFifoAndCrashAsEtcd) {
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunScriptOnBoth({}, kLockScript, &run, &error)) << error;
  const std::string& etcd = run.etcd[0];
  EXPECT_NE(etcd.find("== fifo\nstart 1\nend 1\nstart 2\nend 2\nstart 3\nend "
                      "3\nstart 4\nend 4\n"),
            std::string::npos)
      << etcd;
  EXPECT_NE(etcd.find("== crash\nholder\nkilled\nwaiter\n"), std::string::npos)
      << etcd;
  EXPECT_EQ(run.cairn[0], etcd);
}

TEST(ElectTest, EtcdctlElectOneLeaderAtATimeAsEtcd) {
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunScriptOnBoth({}, kElectScript, &run, &error)) << error;
  const std::string& etcd = run.etcd[0];
  EXPECT_NE(etcd.find("== c1 leads\nc1: E/<id> c1 \nc2: \nc3: \n"),
            std::string::npos)
      << etcd;
  EXPECT_NE(etcd.find("c2: E/<id> c2 \nc3: \n"), std::string::npos) << etcd;
  EXPECT_EQ(run.cairn[0], etcd);
}

class ConcurrencyServiceTest : public testing::TestWithParam<const char*> {};

TEST_P(ConcurrencyServiceTest, SameAsEtcd) {
  for (Flavor flavor : {Flavor::kEtcd, Flavor::kCairn}) {
    std::string error;
    auto c = Cluster::Start(flavor, 1, {}, &error);
    ASSERT_NE(c, nullptr) << error;
    CommandResult r = RunCommand(
        {"/usr/bin/python3", CAIRN_CONCURRENCY_CLIENT, CAIRN_PB_PY_DIR,
         std::to_string(c->member(0).client_port), GetParam()},
        "", std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << (flavor == Flavor::kEtcd ? "etcd" : "cairn")
                              << ": " << r.out << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ConcurrencyServiceTest,
                         testing::Values("lock", "election"));

}  // namespace
}  // namespace e2e
