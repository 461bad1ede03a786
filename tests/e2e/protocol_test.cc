// Bad input on the client port of a real cairn process: each case gets an
// error or a closed connection, the process keeps running, and etcdctl is
// still served afterwards. The clients are in protocol_client.py (raw
// sockets with hand-made HTTP/2 frames, and python3-grpcio).

#include <gtest/gtest.h>

#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

class ProtocolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    cluster_ = Cluster::Start(Flavor::kCairn, 1, {}, &error).release();
    ASSERT_NE(cluster_, nullptr) << error;
    CommandResult put = cluster_->Etcdctl({"put", "alive", "yes"});
    ASSERT_EQ(put.exit_code, 0) << put.err;
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // Runs one case of protocol_client.py, then checks the member survived.
  void RunCase(const std::string& name) {
    ASSERT_NE(cluster_, nullptr);
    CommandResult r =
        RunCommand({"/usr/bin/python3", CAIRN_PROTOCOL_CLIENT,
                    std::to_string(cluster_->member(0).client_port), name},
                   "", std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << name << ":\n" << r.out << r.err;
    ASSERT_TRUE(cluster_->member(0).process->running())
        << "cairn died; log:\n"
        << cluster_->member(0).process->ReadLog();
    CommandResult get =
        cluster_->Etcdctl({"get", "alive", "--print-value-only"});
    EXPECT_EQ(get.exit_code, 0) << get.err;
    EXPECT_EQ(get.out, "yes\n");
  }

  static Cluster* cluster_;
};

Cluster* ProtocolTest::cluster_ = nullptr;

TEST_F(ProtocolTest, TruncatedFrame) { RunCase("truncated_frame"); }
TEST_F(ProtocolTest, HugeLengthPrefix) { RunCase("huge_length_prefix"); }
TEST_F(ProtocolTest, UnknownMethod) { RunCase("unknown_method"); }
TEST_F(ProtocolTest, InvalidProtobuf) { RunCase("invalid_protobuf"); }
TEST_F(ProtocolTest, ManyStreamsOnOneConnection) { RunCase("many_streams"); }
TEST_F(ProtocolTest, GarbageWithBlankLine) { RunCase("garbage_terminated"); }

// Garbage that never contains a blank line: like etcd (Go's HTTP server),
// cairn refuses the bad request line as soon as it is complete and closes.
TEST_F(ProtocolTest, GarbageWithoutBlankLine) { RunCase("garbage"); }

}  // namespace
}  // namespace e2e
