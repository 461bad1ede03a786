// Checks the harness itself against a real etcd 3.4 member, so that a
// failing cairn comparison test can be trusted to be cairn's fault.

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

TEST(ProcessTest, RunCommandCapturesOutputAndExitCode) {
  CommandResult r =
      RunCommand({"sh", "-c", "cat; echo err >&2; exit 3"}, "hello\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(r.err, "err\n");
  CommandResult t =
      RunCommand({"sleep", "10"}, "", std::chrono::milliseconds(200));
  EXPECT_EQ(t.exit_code, -1);
}

TEST(ProcessTest, PortsAreDistinct) {
  int a = PickFreePort(), b = PickFreePort();
  EXPECT_GT(a, 0);
  EXPECT_NE(a, b);
}

TEST(NormalizeTest, MasksIdsAndTerms) {
  EXPECT_EQ(
      NormalizeEtcdctlOutput("8e9e05c52164694d, started, m0\n"
                             "{\"header\":{\"cluster_id\":14841639068965178418,"
                             "\"raft_term\":2}}"),
      "<id>, started, m0\n"
      "{\"header\":{\"cluster_id\":<id>,\"raft_term\":<term>}}");
}

TEST(NormalizeTest, MasksIdsWithLeadingZeroNibbles) {
  EXPECT_EQ(NormalizeEtcdctlOutput(
                "Member   9e05c52164694d added to cluster 3cdc5d3f8a2b1c0\n"
                "9e05c52164694d, unstarted, , http://127.0.0.1:1\n"
                "revision 12345678901234\n"
                "$ member promote c75965be780664\n"
                "$ member remove c75965be780664\n"),
            "Member <id> added to cluster <id>\n"
            "<id>, unstarted, , http://<endpoint>\n"
            "revision 12345678901234\n"
            "$ member promote <id>\n"
            "$ member remove <id>\n");
}

TEST(NormalizeTest, MasksRetryWarningsEndpointsAndTimings) {
  EXPECT_EQ(NormalizeEtcdctlOutput(
                "{\"level\":\"warn\",\"ts\":\"2026-11-22T04:05:21.607Z\","
                "\"target\":\"endpoint://client-c83e-4f0b/127.0.0.1:30142\"}\n"
                "127.0.0.1:2379 is healthy: successfully committed proposal: "
                "took = 1.5ms\n"
                "[{\"took\":\"6.35ms\"}]\n\"RaftTerm\" : 2\n"),
            "{\"level\":\"warn\",\"ts\":<ts>,"
            "\"target\":\"endpoint://client-<uuid>/<endpoint>\"}\n"
            "<endpoint> is healthy: successfully committed proposal: "
            "took = <time>\n"
            "[{\"took\":\"<time>\"}]\n\"RaftTerm\" : <id>\n");
}

TEST(EtcdClusterTest, PutGetThroughRealEtcd) {
  std::string error;
  auto cluster = Cluster::Start(Flavor::kEtcd, 1, {}, &error);
  ASSERT_NE(cluster, nullptr) << error;
  CommandResult put = cluster->Etcdctl({"put", "foo", "bar"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out, "OK\n");
  CommandResult get = cluster->Etcdctl({"get", "foo"});
  EXPECT_EQ(get.out, "foo\nbar\n");
  // A crash and restart keeps the write.
  cluster->StopMember(0, SIGKILL);
  ASSERT_TRUE(cluster->StartMember(0, &error)) << error;
  ASSERT_TRUE(cluster->WaitHealthy(0, std::chrono::seconds(30)));
  EXPECT_EQ(cluster->Etcdctl({"get", "foo", "--print-value-only"}).out,
            "bar\n");
}

}  // namespace
}  // namespace e2e
