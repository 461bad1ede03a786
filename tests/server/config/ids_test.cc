#include "server/config/ids.h"

#include <gtest/gtest.h>

namespace server {
namespace {

// etcd 3.4 started with no flags (name "default", peer URL
// http://localhost:2380, token "etcd-cluster") reports member ID
// 8e9e05c52164694d in cluster cdf818194e3a8c32; any etcd user has seen these
// two IDs in `etcdctl member list` and response headers.
TEST(IdsTest, MatchesEtcdForDefaultMember) {
  uint64_t member =
      ComputeMemberId({Url{"http", "localhost", 2380}}, "etcd-cluster");
  EXPECT_EQ(FormatId(member), "8e9e05c52164694d");
  EXPECT_EQ(FormatId(ComputeClusterId({member})), "cdf818194e3a8c32");
}

TEST(IdsTest, OrderIndependentAndTokenSensitive) {
  std::vector<Url> ab = {Url{"http", "127.0.0.1", 1},
                         Url{"http", "127.0.0.1", 2}};
  std::vector<Url> ba = {ab[1], ab[0]};
  EXPECT_EQ(ComputeMemberId(ab, "t"), ComputeMemberId(ba, "t"));
  EXPECT_NE(ComputeMemberId(ab, "t"), ComputeMemberId(ab, "u"));
  EXPECT_EQ(ComputeClusterId({1, 2, 3}), ComputeClusterId({3, 1, 2}));
  EXPECT_NE(ComputeClusterId({1, 2}), ComputeClusterId({1, 3}));
}

TEST(IdsTest, InitialMembers) {
  ServerConfig c = DefaultServerConfig();
  c.name = "n1";
  c.initial_advertise_peer_urls = {Url{"http", "127.0.0.1", 2380}};
  auto m =
      ParseInitialCluster("n1=http://127.0.0.1:2380,n2=http://127.0.0.1:2381");
  ASSERT_TRUE(m.ok());
  c.initial_cluster = *m;
  ASSERT_TRUE(Validate(&c).ok());
  auto ids = InitialMemberIds(c);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].name, "n1");
  EXPECT_NE(ids[0].id, ids[1].id);
  EXPECT_EQ(FormatId(0x1), "1");
}

}  // namespace
}  // namespace server
