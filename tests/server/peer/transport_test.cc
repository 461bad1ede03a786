// server/peer/transport against real sockets on 127.0.0.1: message streams,
// the handshake's refusals, garbage on the peer port, unreachable peers,
// reconnects, a peer that stops reading, snapshot transfers. The loop runs
// on the test thread; every test ends with uv_loop_close() == 0.

#include "server/peer/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "proto/raftpb/codec.h"
#include "server/peer/frame.h"
#include "server/snap/raft_snapshot.h"
#include "server/snap/snapshotter.h"
#include "tests/server/grpc/h2_client.h"

namespace server::peer {
namespace {

std::string MakeTempDir() {
  char tmpl[] = "/tmp/cairn-peer-test-XXXXXX";
  char* d = mkdtemp(tmpl);
  return d == nullptr ? std::string() : std::string(d);
}

Url Local(uint16_t port) { return Url{"http", "127.0.0.1", port}; }

raftpb::Message Msg(uint64_t from, uint64_t to, uint64_t index,
                    size_t payload = 0) {
  raftpb::Message m;
  m.type = raftpb::kMsgApp;
  m.from = from;
  m.to = to;
  m.term = 1;
  m.index = index;
  if (payload > 0) {
    raftpb::Entry e;
    e.index = index + 1;
    e.term = 1;
    e.data = raftpb::Payload(std::string(payload, 'p'));
    m.entries.push_back(e);
  }
  return m;
}

// One member's transport and what it observed.
struct Node {
  uint64_t id = 0;
  std::string snap_dir;
  std::unique_ptr<Transport> transport;
  std::vector<raftpb::Message> received;
  std::vector<uint64_t> unreachable;
  std::vector<std::pair<uint64_t, bool>> snapshot_status;
  std::vector<uint64_t> removed_by;
  std::function<bool(uint64_t)> is_removed;

  uint16_t port() const { return transport->listen_ports().at(0); }
};

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    dir_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    for (auto& n : nodes_) CloseNode(n.get());
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle leaked";
    std::string cmd = "rm -rf " + dir_;
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }

  Node* AddNode(uint64_t id, uint64_t cluster = 1, uint16_t port = 0,
                std::function<void(TransportOptions*)> tweak = nullptr) {
    auto n = std::make_unique<Node>();
    Node* p = n.get();
    p->id = id;
    p->snap_dir = dir_ + "/snap" + std::to_string(id) + "-" +
                  std::to_string(nodes_.size());
    snap::Snapshotter s(p->snap_dir);
    EXPECT_TRUE(s.Init().ok());
    TransportOptions o;
    o.cluster_id = cluster;
    o.member_id = id;
    o.name = "m" + std::to_string(id);
    o.client_urls = {"http://127.0.0.1:" + std::to_string(1000 + id)};
    o.listen_urls = {Local(port)};
    o.snap_dir = p->snap_dir;
    o.min_backoff_ms = 10;
    o.max_backoff_ms = 50;
    o.on_message = [p](raftpb::Message m) {
      p->received.push_back(std::move(m));
    };
    o.on_unreachable = [p](uint64_t to) { p->unreachable.push_back(to); };
    o.on_snapshot_status = [p](uint64_t to, bool ok) {
      p->snapshot_status.emplace_back(to, ok);
    };
    o.on_removed = [p](uint64_t by) { p->removed_by.push_back(by); };
    o.is_removed = [p](uint64_t from) {
      return p->is_removed && p->is_removed(from);
    };
    if (tweak) tweak(&o);
    auto t = Transport::Start(&loop_, std::move(o));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (!t.ok()) return nullptr;
    p->transport = std::move(t).value();
    nodes_.push_back(std::move(n));
    return p;
  }

  void CloseNode(Node* n) {
    if (!n->transport) return;
    bool done = false;
    n->transport->Close([&done] { done = true; });
    RunUntil([&] { return done; });
    n->transport.reset();
  }

  // Runs the loop until `pred` holds or `ms` pass; returns pred().
  bool RunUntil(const std::function<bool()>& pred, int ms = 5000) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    uv_timer_t tick;
    uv_timer_init(&loop_, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 5, 5);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return pred();
  }

  // Connects the two nodes both ways and waits until a message goes through
  // each way.
  void Link(Node* a, Node* b) {
    ASSERT_TRUE(a->transport->AddPeer(b->id, {Local(b->port())}).ok());
    ASSERT_TRUE(b->transport->AddPeer(a->id, {Local(a->port())}).ok());
    ASSERT_TRUE(RunUntil([&] {
      return a->transport->ActiveSince(b->id) != 0 &&
             b->transport->ActiveSince(a->id) != 0;
    }));
  }

  uv_loop_t loop_{};
  std::string dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(TransportTest, MessagesFlowBothWaysInOrder) {
  Node* a = AddNode(1);
  Node* b = AddNode(2);
  Link(a, b);
  std::vector<raftpb::Message> batch;
  for (uint64_t i = 0; i < 100; ++i) batch.push_back(Msg(1, 2, i, 100));
  a->transport->Send(batch);
  b->transport->Send({Msg(2, 1, 42)});
  ASSERT_TRUE(RunUntil(
      [&] { return b->received.size() == 100 && a->received.size() == 1; }));
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(b->received[i].index, i);
  EXPECT_EQ(b->received[0].entries.at(0).data.size(), 100u);
  EXPECT_EQ(a->received[0].index, 42u);
  EXPECT_EQ(a->transport->stats().messages_sent, 100u);
  EXPECT_EQ(b->transport->stats().messages_received, 100u);
  // Each learned the other's name and client URLs from the handshake.
  auto attrs = a->transport->Attributes(2);
  ASSERT_TRUE(attrs.has_value());
  EXPECT_EQ(attrs->name, "m2");
  EXPECT_EQ(attrs->client_urls,
            std::vector<std::string>{"http://127.0.0.1:1002"});
  EXPECT_TRUE(a->unreachable.empty());
}

TEST_F(TransportTest, PeerApiChecksItsArguments) {
  Node* a = AddNode(1);
  EXPECT_EQ(a->transport->AddPeer(0, {Local(1)}).code(),
            base::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->transport->AddPeer(1, {Local(1)}).code(),
            base::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->transport->AddPeer(2, {Url{"http", "example.com", 1}}).code(),
            base::StatusCode::kInvalidArgument);
  EXPECT_TRUE(a->transport->AddPeer(2, {Local(1)}).ok());
  EXPECT_TRUE(a->transport->HasPeer(2));
  EXPECT_EQ(a->transport->AddPeer(2, {Local(1)}).code(),
            base::StatusCode::kAlreadyExists);
  EXPECT_EQ(a->transport->UpdatePeer(3, {Local(1)}).code(),
            base::StatusCode::kNotFound);
  EXPECT_TRUE(a->transport->RemovePeer(2).ok());
  EXPECT_FALSE(a->transport->HasPeer(2));
  EXPECT_EQ(a->transport->RemovePeer(2).code(), base::StatusCode::kNotFound);
}

TEST_F(TransportTest, UnreachablePeerIsReportedAndMessagesDropped) {
  Node* a = AddNode(1);
  // A port nobody listens on: bind one, learn it, close it.
  Node* gone = AddNode(9);
  uint16_t port = gone->port();
  CloseNode(gone);
  ASSERT_TRUE(a->transport->AddPeer(9, {Local(port)}).ok());
  a->transport->Send({Msg(1, 9, 1)});
  ASSERT_TRUE(RunUntil([&] { return !a->unreachable.empty(); }));
  EXPECT_EQ(a->unreachable[0], 9u);
  EXPECT_EQ(a->transport->stats().messages_dropped, 1u);
  EXPECT_EQ(a->transport->ActiveSince(9), 0u);
  // Messages to a member that is not a peer at all are dropped too.
  a->transport->Send({Msg(1, 77, 1)});
  EXPECT_EQ(a->transport->stats().messages_dropped, 2u);
}

TEST_F(TransportTest, ReconnectsAfterThePeerRestarts) {
  Node* a = AddNode(1);
  Node* b = AddNode(2);
  Link(a, b);
  uint16_t port = b->port();
  CloseNode(b);
  ASSERT_TRUE(RunUntil([&] { return a->transport->ActiveSince(2) == 0; }));
  Node* b2 = AddNode(2, 1, port);
  ASSERT_NE(b2, nullptr);
  ASSERT_TRUE(RunUntil([&] { return a->transport->ActiveSince(2) != 0; }));
  a->transport->Send({Msg(1, 2, 5)});
  ASSERT_TRUE(RunUntil([&] { return b2->received.size() == 1; }));
  EXPECT_EQ(b2->received[0].index, 5u);
}

TEST_F(TransportTest, MemberOfAnotherClusterIsRefused) {
  Node* a = AddNode(1, /*cluster=*/1);
  Node* b = AddNode(2, /*cluster=*/2);
  ASSERT_TRUE(a->transport->AddPeer(2, {Local(b->port())}).ok());
  ASSERT_TRUE(
      RunUntil([&] { return b->transport->stats().connections_refused >= 1; }));
  EXPECT_EQ(a->transport->ActiveSince(2), 0u);
  a->transport->Send({Msg(1, 2, 1)});
  ASSERT_TRUE(RunUntil([&] { return !a->unreachable.empty(); }));
  RunUntil([] { return false; }, 100);
  EXPECT_TRUE(b->received.empty());
  EXPECT_FALSE(b->transport->Attributes(1).has_value());
}

TEST_F(TransportTest, RemovedMemberIsToldSo) {
  Node* a = AddNode(1);
  Node* b = AddNode(2);
  b->is_removed = [](uint64_t id) { return id == 1; };
  ASSERT_TRUE(a->transport->AddPeer(2, {Local(b->port())}).ok());
  ASSERT_TRUE(RunUntil([&] { return !a->removed_by.empty(); }));
  EXPECT_EQ(a->removed_by[0], 2u);
}

TEST_F(TransportTest, GarbageClosesOnlyThatConnection) {
  Node* a = AddNode(1);
  Node* b = AddNode(2);
  Link(a, b);
  const std::vector<std::string> garbage = {
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      // The right preface, then a frame that is no handshake.
      std::string(kPreface) + std::string("\x03\x00\x00\x00xyz", 7),
      // The right preface, then a length far over the limit.
      std::string(kPreface) + std::string("\xff\xff\xff\xff", 4),
  };
  for (const std::string& g : garbage) {
    SCOPED_TRACE(g);
    int fd = server::testing::ConnectLoopback(b->port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, g.data(), g.size()), static_cast<ssize_t>(g.size()));
    bool closed = false;
    RunUntil([&] {
      char buf[256];
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        closed = true;
      }
      return closed;
    });
    EXPECT_TRUE(closed);
    ::close(fd);
  }
  // The real stream survived.
  a->transport->Send({Msg(1, 2, 7)});
  ASSERT_TRUE(RunUntil([&] { return b->received.size() == 1; }));
  // A forged message (wrong sender) on an accepted stream closes it; the
  // dialer reconnects.
  int fd = server::testing::ConnectLoopback(b->port());
  Handshake h;
  h.cluster_id = 1;
  h.from = 3;
  h.to = 2;
  std::string out(kPreface);
  AppendFrame(EncodeHandshake(h), &out);
  AppendFrame(raftpb::EncodeToString(Msg(1, 2, 8)), &out);
  ASSERT_EQ(::write(fd, out.data(), out.size()),
            static_cast<ssize_t>(out.size()));
  bool closed = false;
  RunUntil([&] {
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    closed = n == 0;
    return closed;
  });
  EXPECT_TRUE(closed);
  ::close(fd);
  EXPECT_EQ(b->received.size(), 1u);
}

TEST_F(TransportTest, SlowPeerDoesNotBlockTheOthers) {
  Node* a = AddNode(
      1, 1, 0, [](TransportOptions* o) { o->max_queued_bytes = 2u << 20; });
  Node* c = AddNode(3);
  Link(a, c);
  // Peer 2 is a raw socket that accepts the handshake and then never reads.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  ::fcntl(lfd, F_SETFL, O_NONBLOCK);
  ASSERT_TRUE(a->transport->AddPeer(2, {Local(ntohs(addr.sin_port))}).ok());
  int cfd = -1;
  std::string got;
  ASSERT_TRUE(RunUntil([&] {
    if (cfd < 0) cfd = ::accept(lfd, nullptr, nullptr);
    if (cfd < 0) return false;
    char buf[4096];
    ssize_t n = ::recv(cfd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    return got.size() > kPreface.size() + 4;
  }));
  std::string verdict;
  AppendFrame(EncodeVerdict(Verdict{VerdictCode::kAccepted, 1, 2, ""}),
              &verdict);
  ASSERT_EQ(::write(cfd, verdict.data(), verdict.size()),
            static_cast<ssize_t>(verdict.size()));
  ASSERT_TRUE(RunUntil([&] { return a->transport->ActiveSince(2) != 0; }));
  // 200 MiB to the peer that does not read, a small message to the other
  // after each MiB.
  for (uint64_t i = 0; i < 200; ++i) {
    a->transport->Send({Msg(1, 2, i, 1 << 20), Msg(1, 3, i)});
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  ASSERT_TRUE(RunUntil([&] { return c->received.size() == 200; }));
  EXPECT_GT(a->transport->stats().messages_dropped, 100u);
  EXPECT_FALSE(a->unreachable.empty());
  for (uint64_t to : a->unreachable) EXPECT_EQ(to, 2u);
  ::close(cfd);
  ::close(lfd);
}

// Writes a snapshot file of `payload_bytes` into `dir` and returns its
// MsgSnap from 1 to 2.
raftpb::Message SnapshotMessage(const std::string& dir, uint64_t index,
                                size_t payload_bytes) {
  raftpb::SnapshotMetadata md;
  md.index = index;
  md.term = 3;
  md.conf_state.voters = {1, 2};
  std::string payload(payload_bytes, '\0');
  for (size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>(i * 131 + i / 7);
  }
  snap::Snapshotter s(dir);
  EXPECT_TRUE(snap::SaveRaftSnapshot(&s, md, payload).ok());
  raftpb::Message m;
  m.type = raftpb::kMsgSnap;
  m.from = 1;
  m.to = 2;
  m.term = 3;
  m.snapshot = raftpb::Snapshot{};
  m.snapshot->metadata = md;
  return m;
}

TEST_F(TransportTest, SnapshotIsStreamedAndInstalled) {
  Node* a = AddNode(1);
  Node* b = AddNode(2);
  Link(a, b);
  const size_t kBytes = 24u << 20;
  a->transport->Send({SnapshotMessage(a->snap_dir, 500, kBytes)});
  ASSERT_TRUE(RunUntil(
      [&] { return !a->snapshot_status.empty() && !b->received.empty(); },
      60000));
  EXPECT_EQ(a->snapshot_status[0], std::make_pair(uint64_t{2}, true));
  EXPECT_EQ(b->received[0].type, raftpb::kMsgSnap);
  EXPECT_EQ(b->received[0].snapshot->metadata.index, 500u);
  snap::Snapshotter s(b->snap_dir);
  auto loaded = s.Load(
      snap::SnapshotFile{3, 500, snap::SnapshotFileName(3, 500),
                         b->snap_dir + "/" + snap::SnapshotFileName(3, 500)});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->payload.size(), kBytes);
  EXPECT_EQ(loaded->payload[12345], static_cast<char>(12345 * 131 + 12345 / 7));
  EXPECT_EQ(a->transport->stats().snapshots_sent, 1u);
  EXPECT_EQ(b->transport->stats().snapshots_received, 1u);
}

TEST_F(TransportTest, MissingSnapshotFileFailsTheTransfer) {
  Node* a = AddNode(1);
  Node* b = AddNode(2);
  Link(a, b);
  snap::Snapshotter elsewhere(dir_ + "/elsewhere");
  ASSERT_TRUE(elsewhere.Init().ok());
  raftpb::Message m = SnapshotMessage(dir_ + "/elsewhere", 9, 100);
  a->transport->Send({m});
  ASSERT_TRUE(RunUntil([&] { return !a->snapshot_status.empty(); }));
  EXPECT_EQ(a->snapshot_status[0], std::make_pair(uint64_t{2}, false));
  EXPECT_TRUE(b->received.empty());
}

TEST_F(TransportTest, SnapshotToADeadPeerFails) {
  Node* a = AddNode(1);
  Node* b = AddNode(2);
  Link(a, b);
  CloseNode(b);
  a->transport->Send({SnapshotMessage(a->snap_dir, 9, 100)});
  ASSERT_TRUE(RunUntil([&] { return !a->snapshot_status.empty(); }));
  EXPECT_EQ(a->snapshot_status[0], std::make_pair(uint64_t{2}, false));
}

}  // namespace
}  // namespace server::peer
