#include "server/config/config.h"

#include <gtest/gtest.h>

namespace server {
namespace {

TEST(ConfigTest, DefaultsValidate) {
  ServerConfig c = DefaultServerConfig();
  ASSERT_TRUE(Validate(&c).ok());
  EXPECT_EQ(c.DataDir(), "default.cairn");
  ASSERT_EQ(c.initial_cluster.size(), 1u);
  EXPECT_EQ(FormatInitialCluster(c.initial_cluster),
            "default=http://127.0.0.1:2380");
  EXPECT_EQ(c.ElectionTicks(), 10);
  EXPECT_EQ(c.QuotaBackendBytes(), int64_t{2} << 30);
}

TEST(ConfigTest, InitialCluster) {
  auto m = ParseInitialCluster(
      "a=http://127.0.0.1:1,b=http://127.0.0.1:2,a=http://127.0.0.1:3");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].peer_urls.size(), 2u);
  EXPECT_FALSE(ParseInitialCluster("a").ok());
  // As etcd: `member add` prints "=url" for an unstarted member.
  EXPECT_TRUE(ParseInitialCluster("=http://x:1").ok());
  EXPECT_FALSE(ParseInitialCluster("a=x").ok());
}

TEST(ConfigTest, ValidateErrors) {
  struct Case {
    const char* name;
    void (*mutate)(ServerConfig*);
    const char* error;
  } cases[] = {
      {"election vs heartbeat",
       [](ServerConfig* c) { c->election_timeout_ms = 400; },
       "--election-timeout[400ms] should be at least as 5 times as "
       "--heartbeat-interval[100ms]"},
      {"election too long",
       [](ServerConfig* c) { c->election_timeout_ms = 60000; },
       "--election-timeout[60000ms] is too long, and should be set less than "
       "50000ms"},
      {"zero heartbeat", [](ServerConfig* c) { c->heartbeat_interval_ms = 0; },
       "--heartbeat-interval must be >0 (set to 0ms)"},
      {"listen without advertise",
       [](ServerConfig* c) { c->listen_client_urls_set = true; },
       "--advertise-client-urls is required when --listen-client-urls is set "
       "explicitly"},
      {"bind to a name",
       [](ServerConfig* c) {
         c->listen_peer_urls = {Url{"http", "example.com", 2380}};
       },
       "expected IP in URL for binding (http://example.com:2380)"},
      {"advertise a name",
       [](ServerConfig* c) {
         c->initial_advertise_peer_urls = {Url{"http", "example.com", 2380}};
       },
       "expected IP in URL for peers (http://example.com:2380) in "
       "--initial-advertise-peer-urls: cairn does not resolve host names, use "
       "an IP address or localhost"},
      {"a name in the initial cluster",
       [](ServerConfig* c) {
         c->initial_cluster = {{"default", {Url{"http", "127.0.0.1", 2380}}},
                               {"b", {Url{"http", "b.example", 2380}}}};
       },
       "expected IP in URL for peers (http://b.example:2380) in "
       "--initial-cluster: cairn does not resolve host names, use an IP "
       "address or localhost"},
      {"unnamed member of a new cluster",
       [](ServerConfig* c) {
         c->initial_cluster = {{"default", {Url{"http", "127.0.0.1", 2380}}},
                               {"", {Url{"http", "127.0.0.1", 2381}}}};
       },
       "--initial-cluster: a member of a new cluster needs a name "
       "(http://127.0.0.1:2381)"},
      {"self missing",
       [](ServerConfig* c) {
         c->initial_cluster = {{"other", {Url{"http", "127.0.0.1", 9}}}};
       },
       "couldn't find local name \"default\" in the initial cluster "
       "configuration"},
      {"advertise mismatch",
       [](ServerConfig* c) {
         c->initial_cluster = {{"default", {Url{"http", "127.0.0.1", 9}}}};
       },
       "--initial-cluster has default=http://127.0.0.1:9 but missing from "
       "--initial-advertise-peer-urls=http://127.0.0.1:2380"},
      {"bad retention",
       [](ServerConfig* c) { c->auto_compaction_retention = "x"; },
       "invalid auto-compaction-retention \"x\" for mode periodic"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ServerConfig config = DefaultServerConfig();
    c.mutate(&config);
    base::Status s = Validate(&config);
    EXPECT_EQ(s.code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), c.error);
  }
}

TEST(ConfigTest, CompactionRetention) {
  EXPECT_EQ(*ParseCompactionRetention(CompactionMode::kPeriodic, "1"),
            3600u * 1000);
  EXPECT_EQ(*ParseCompactionRetention(CompactionMode::kPeriodic, "30m"),
            30u * 60 * 1000);
  EXPECT_EQ(*ParseCompactionRetention(CompactionMode::kRevision, "1000"),
            1000u);
  EXPECT_FALSE(ParseCompactionRetention(CompactionMode::kRevision, "1h").ok());
}

}  // namespace
}  // namespace server
