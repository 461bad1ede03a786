// Interoperability: Debian's python3-grpcio (a real gRPC implementation)
// against the transport. The script's cases are listed in grpc_client.py.

#include <gtest/gtest.h>
#include <unistd.h>

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
  // Two Never calls ended without an answer, one by its deadline, one by
  // RST_STREAM(CANCEL), plus one Unary. Every Never handler that started
  // (on a loaded machine a reset can beat the request to the handler) must
  // have seen OnCancel.
  for (int i = 0; i < 200 && server.cancelled.load() != server.started - 1;
       ++i) {
    ::usleep(10000);
  }
  server.Stop();
  EXPECT_GE(server.cancelled.load(), 1);
  EXPECT_EQ(server.cancelled.load(), server.started.load() - 1);
  EXPECT_EQ(server.loop_close_result(), 0);
}

}  // namespace
}  // namespace server::testing
