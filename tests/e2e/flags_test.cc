// The cairn command line as an operator meets it: bad flags exit non-zero
// with a one-line reason, a data dir is never shared by two processes, and
// SIGTERM stops cleanly without losing data.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

// Runs cairn with `flags` (after a name and a throwaway data dir) and expects
// a non-zero exit with exactly one line on stderr containing `reason`.
void ExpectRefused(const std::vector<std::string>& flags,
                   const std::string& reason) {
  std::string dir = MakeTempDir("cairn-flags");
  std::vector<std::string> argv = {CairnBinary(), "--name=x",
                                   "--data-dir=" + dir + "/data"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  CommandResult r = RunCommand(argv, "", std::chrono::seconds(20));
  std::string what = flags.empty() ? "" : flags.back();
  EXPECT_NE(r.exit_code, 0) << what;
  EXPECT_NE(r.exit_code, -1) << what << ": killed or timed out";
  EXPECT_EQ(r.out, "") << what;
  ASSERT_FALSE(r.err.empty()) << what;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << what << ": " << r.err;
  EXPECT_NE(r.err.find(reason), std::string::npos) << what << ": " << r.err;
  RemoveTree(dir);
}

TEST(FlagsTest, BadFlagsAreRefusedWithOneLine) {
  ExpectRefused({"--heartbeat-interval=500"}, "--heartbeat-interval");
  ExpectRefused({"--initial-cluster-state=bogus"}, "bogus");
  ExpectRefused({"--listen-client-urls=http://127.0.0.1:1"},
                "--advertise-client-urls");
  ExpectRefused({"--no-such-flag=1"}, "--no-such-flag");
  ExpectRefused({"--election-timeout=soon"}, "--election-timeout");
  ExpectRefused({"--listen-client-urls=ftp://127.0.0.1:1",
                 "--advertise-client-urls=http://127.0.0.1:1"},
                "ftp");
  ExpectRefused({"--initial-cluster=other=http://127.0.0.1:1"}, "x");
  // Peer URLs hold IP addresses (etcd's message for a listen URL).
  ExpectRefused({"--listen-peer-urls=http://peer.example:2380"},
                "expected IP in URL for binding (http://peer.example:2380)");
  ExpectRefused({"--initial-advertise-peer-urls=http://peer.example:2380",
                 "--initial-cluster=x=http://peer.example:2380"},
                "expected IP in URL for peers (http://peer.example:2380)");
}

TEST(FlagsTest, DataDirInUseIsRefused) {
  std::string error;
  auto cluster = Cluster::Start(Flavor::kCairn, 1, {}, &error);
  ASSERT_NE(cluster, nullptr) << error;
  int client = PickFreePort(), peer = PickFreePort();
  std::string c = "http://127.0.0.1:" + std::to_string(client);
  std::string p = "http://127.0.0.1:" + std::to_string(peer);
  CommandResult r = RunCommand(
      {CairnBinary(), "--name=m0", "--data-dir=" + cluster->member(0).data_dir,
       "--listen-client-urls=" + c, "--advertise-client-urls=" + c,
       "--listen-peer-urls=" + p, "--initial-advertise-peer-urls=" + p,
       "--initial-cluster=m0=" + p},
      "", std::chrono::seconds(20));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, -1);
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(cluster->member(0).data_dir), std::string::npos)
      << r.err;
  // The running member is unharmed.
  EXPECT_EQ(cluster->Etcdctl({"put", "k", "v"}).exit_code, 0);
}

TEST(FlagsTest, SigtermStopsCleanlyAndKeepsData) {
  std::string error;
  auto cluster = Cluster::Start(Flavor::kCairn, 1, {}, &error);
  ASSERT_NE(cluster, nullptr) << error;
  for (int i = 0; i < 5; ++i) {
    CommandResult put = cluster->Etcdctl(
        {"put", "key" + std::to_string(i), "value" + std::to_string(i)});
    ASSERT_EQ(put.exit_code, 0) << put.err;
  }
  for (int sig : {SIGTERM, SIGINT}) {
    int status = cluster->member(0).process->Stop(sig);
    EXPECT_TRUE(WIFEXITED(status)) << "status " << status << "; log:\n"
                                   << cluster->member(0).process->ReadLog();
    EXPECT_EQ(WEXITSTATUS(status), 0);
    ASSERT_TRUE(cluster->StartMember(0, &error)) << error;
    ASSERT_TRUE(cluster->WaitHealthy(0, std::chrono::seconds(30)))
        << cluster->member(0).process->ReadLog();
    CommandResult get = cluster->Etcdctl({"get", "key", "--prefix"});
    EXPECT_EQ(get.out,
              "key0\nvalue0\nkey1\nvalue1\nkey2\nvalue2\nkey3\nvalue3\n"
              "key4\nvalue4\n");
  }
}

}  // namespace
}  // namespace e2e
