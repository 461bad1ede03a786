// Interoperability: Debian's python3-grpcio (a real gRPC implementation)
// against the transport. The script's cases are listed in grpc_client.py.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/server/grpc/test_server.h"

namespace server::testing {
namespace {

int RunClient(uint16_t port, const std::string& cases) {
  std::string cmd = std::string("/usr/bin/python3 ") + CAIRN_GRPC_PY_CLIENT +
                    " " + std::to_string(port) + " " + cases;
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(PythonGrpcClientTest, CallsOfEveryShape) {
  TestServer server;
  EXPECT_EQ(
      RunClient(server.port(), "unary async errors limits streams concurrent"),
      0);
  server.Stop();
  EXPECT_EQ(server.loop_close_result(), 0);
}

TEST(PythonGrpcClientTest, DeadlineAndCancelReachTheHandler) {
  TestServer server;
  EXPECT_EQ(RunClient(server.port(), "deadline cancel"), 0);
  server.Stop();
  // Both Never calls ended without an answer: one by its deadline, one by
  // RST_STREAM(CANCEL).
  EXPECT_EQ(server.cancelled.load(), 2);
  EXPECT_EQ(server.loop_close_result(), 0);
}

}  // namespace
}  // namespace server::testing
