// server/membership/join: the member list a joining member asks for over the
// peer protocol (against a real Transport on 127.0.0.1), and etcd's checks
// of --initial-cluster against it.

#include "server/membership/join.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <memory>
#include <thread>

#include "server/peer/transport.h"

namespace server::membership {
namespace {

cairnpb::Member MakeMember(uint64_t id, const std::string& url) {
  cairnpb::Member m;
  m.set_id(id);
  m.add_peer_urls(url);
  return m;
}

cairnpb::Membership ThreeMembers() {
  cairnpb::Membership ms;
  ms.set_index(7);
  *ms.add_members() = MakeMember(0x11, "http://127.0.0.1:1001");
  *ms.add_members() = MakeMember(0x22, "http://127.0.0.1:1002");
  *ms.add_members() = MakeMember(0x33, "http://127.0.0.1:1003");
  ms.add_removed(0x44);
  return ms;
}

ServerConfig Joining(const std::string& name,
                     const std::vector<std::pair<std::string, int>>& members) {
  ServerConfig c;
  c.name = name;
  c.initial_cluster_state = ClusterState::kExisting;
  for (const auto& [n, port] : members) {
    c.initial_cluster.push_back(InitialMember{
        n, {Url{"http", "127.0.0.1", static_cast<uint16_t>(port)}}});
  }
  return c;
}

// Runs FetchMembers on a thread while the transport's loop runs here.
base::Result<RemoteCluster> FetchFrom(bool serve_members) {
  uv_loop_t loop;
  EXPECT_EQ(uv_loop_init(&loop), 0);
  peer::TransportOptions o;
  o.cluster_id = 0xc1;
  o.member_id = 0x22;
  o.listen_urls = {Url{"http", "127.0.0.1", 0}};
  o.snap_dir = "/nonexistent";
  o.on_message = [](raftpb::Message) {};
  if (serve_members) {
    o.members = [] { return ThreeMembers().SerializeAsString(); };
  }
  auto t = peer::Transport::Start(&loop, std::move(o));
  EXPECT_TRUE(t.ok());
  const uint16_t port = (*t)->listen_ports().at(0);
  std::atomic<bool> done{false};
  base::Result<RemoteCluster> out = base::Status::Internal("not run");
  std::thread client([&] {
    out = FetchMembers(Url{"http", "127.0.0.1", port}, "joiner", 3000);
    done = true;
  });
  uv_timer_t tick;
  uv_timer_init(&loop, &tick);
  uv_timer_start(
      &tick, [](uv_timer_t*) {}, 5, 5);
  while (!done) uv_run(&loop, UV_RUN_ONCE);
  client.join();
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  bool closed = false;
  (*t)->Close([&] { closed = true; });
  while (!closed) uv_run(&loop, UV_RUN_ONCE);
  t->reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  return out;
}

TEST(JoinTest, FetchesTheMemberListOverThePeerProtocol) {
  auto rc = FetchFrom(true);
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(rc->cluster_id, 0xc1u);
  EXPECT_EQ(rc->answered_by, 0x22u);
  EXPECT_EQ(rc->membership.SerializeAsString(),
            ThreeMembers().SerializeAsString());
}

TEST(JoinTest, MemberWithoutAListRefuses) {
  auto rc = FetchFrom(false);
  ASSERT_FALSE(rc.ok());
  EXPECT_NE(rc.status().message().find("refused"), std::string::npos)
      << rc.status().ToString();
}

TEST(JoinTest, NobodyAnsweringFailsWithEtcdsError) {
  ServerConfig c = Joining("c", {{"a", 1}, {"c", 1003}});
  auto rc = FetchCluster(c, 300, nullptr);
  ASSERT_FALSE(rc.ok());
  EXPECT_NE(rc.status().message().find("cannot fetch cluster info from peer "
                                       "urls: could not retrieve cluster "
                                       "information from the given URLs"),
            std::string::npos)
      << rc.status().ToString();
}

TEST(JoinTest, AssignsTheIdOfTheMemberWithThisMembersUrls) {
  ServerConfig c = Joining("c", {{"a", 1001}, {"b", 1002}, {"c", 1003}});
  auto id = AssignJoiningId(c, ThreeMembers());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 0x33u);
  // Names do not matter, URLs do (`member add` prints "" for unstarted).
  c = Joining("x", {{"x", 1001}, {"", 1002}, {"z", 1003}});
  id = AssignJoiningId(c, ThreeMembers());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 0x11u);
}

TEST(JoinTest, RefusesAnInitialClusterThatIsNotTheClusters) {
  ServerConfig fewer = Joining("c", {{"a", 1001}, {"c", 1003}});
  auto id = AssignJoiningId(fewer, ThreeMembers());
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("member count is unequal"),
            std::string::npos)
      << id.status().ToString();
  ServerConfig other = Joining("c", {{"a", 1001}, {"b", 1009}, {"c", 1003}});
  id = AssignJoiningId(other, ThreeMembers());
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find(
                "PeerURLs: no match found for existing member (22, "
                "[http://127.0.0.1:1002])"),
            std::string::npos)
      << id.status().ToString();
}

}  // namespace
}  // namespace server::membership
