// Interoperability with grpc-go: Debian's etcdctl 3.4 (grpc-go 1.26) against
// the transport, with one etcd method registered (KV.Range answering an
// empty response) and the rest unknown.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "tests/server/grpc/test_server.h"

namespace server::testing {
namespace {

// Runs etcdctl against the server; returns its exit code and output.
int Etcdctl(uint16_t port, const std::string& args, std::string* out) {
  std::string cmd =
      "ETCDCTL_API=3 etcdctl --dial-timeout=3s "
      "--command-timeout=5s --endpoints=127.0.0.1:" +
      std::to_string(port) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  int rc = ::pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(GoGrpcClientTest, EtcdctlCallsAndErrors) {
  if (std::system("command -v etcdctl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "etcdctl (Debian etcd-client) not installed";
  }
  TestServer server;
  std::string out;
  EXPECT_EQ(Etcdctl(server.port(), "get foo", &out), 0) << out;
  EXPECT_EQ(out, "");
  out.clear();
  // endpoint health is a Range of key "health" over the same transport.
  EXPECT_EQ(Etcdctl(server.port(), "endpoint health", &out), 0) << out;
  EXPECT_NE(out.find("is healthy"), std::string::npos) << out;
  out.clear();
  EXPECT_NE(Etcdctl(server.port(), "put foo bar", &out), 0);
  EXPECT_NE(out.find("code = Unimplemented desc = unknown method Put for "
                     "service etcdserverpb.KV"),
            std::string::npos)
      << out;
  out.clear();
  EXPECT_NE(Etcdctl(server.port(), "member list", &out), 0);
  EXPECT_NE(out.find("unknown service etcdserverpb.Cluster"), std::string::npos)
      << out;
  server.Stop();
  EXPECT_EQ(server.loop_close_result(), 0);
}

}  // namespace
}  // namespace server::testing
