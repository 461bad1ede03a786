#include "server/config/flags.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace server {
namespace {

base::Result<ParsedCommandLine> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "cairn");
  return ParseCommandLine(args);
}

TEST(FlagsTest, EtcdNamesBothDashStyles) {
  auto r = Parse({"--name", "n1", "-data-dir=/tmp/x",
                  "--listen-client-urls=http://127.0.0.1:12379",
                  "--advertise-client-urls", "http://127.0.0.1:12379",
                  "--listen-peer-urls=http://127.0.0.1:12380",
                  "--initial-advertise-peer-urls=http://127.0.0.1:12380",
                  "--initial-cluster=n1=http://127.0.0.1:12380",
                  "--initial-cluster-state=new", "--snapshot-count=5",
                  "--heartbeat-interval=10", "--election-timeout=100",
                  "--max-txn-ops=7", "--log-level=debug"});
  ASSERT_TRUE(r.ok()) << r.status();
  const ServerConfig& c = r->config;
  EXPECT_EQ(c.name, "n1");
  EXPECT_EQ(c.DataDir(), "/tmp/x");
  EXPECT_EQ(c.listen_client_urls[0].port, 12379);
  EXPECT_EQ(c.snapshot_count, 5u);
  EXPECT_EQ(c.ElectionTicks(), 10);
  EXPECT_EQ(c.max_txn_ops, 7u);
  EXPECT_EQ(c.log_level, base::LogLevel::kDebug);
}

TEST(FlagsTest, BadFlagsAreOneLineErrors) {
  struct Case {
    std::vector<std::string> args;
    const char* error;
  } cases[] = {
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--snapshot-count=abc"},
       "invalid value \"abc\" for flag --snapshot-count"},
      {{"--initial-cluster-state=maybe"},
       "valid values are \"new\", \"existing\""},
      {{"--listen-peer-urls=127.0.0.1:2380"}, "missing scheme"},
      {{"--heartbeat-interval=500"}, "should be at least as 5 times"},
      {{"--auto-compaction-mode=hourly"},
       "unknown auto-compaction-mode \"hourly\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[0]);
    auto r = Parse(c.args);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << r.status();
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  }
}

TEST(FlagsTest, RepeatedFlagTakesTheLastValue) {
  auto r = Parse({"--data-dir=a", "--data-dir=b"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.DataDir(), "b");
}

TEST(FlagsTest, HelpAndVersion) {
  auto h = Parse({"--help"});
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->exit_now);
  EXPECT_NE(h->output.find("--initial-cluster-token"), std::string::npos);
  auto v = Parse({"--version"});
  ASSERT_TRUE(v.ok());
  EXPECT_NE(v->output.find("cairn"), std::string::npos);
}

TEST(FlagsTest, Environment) {
  setenv("CAIRN_SNAPSHOT_COUNT", "42", 1);
  auto r = Parse({});
  unsetenv("CAIRN_SNAPSHOT_COUNT");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.snapshot_count, 42u);
}

class ConfigFileTest : public testing::Test {
 protected:
  void Write(const std::string& text) {
    path_ = testing::TempDir() + "cairn_config_" + std::to_string(getpid()) +
            ".yaml";
    std::ofstream(path_) << text;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(ConfigFileTest, ReadsEtcdKeysAndIgnoresOtherFlags) {
  Write(
      "name: m1\n"
      "data-dir: /var/lib/m1\n"
      "listen-client-urls: http://127.0.0.1:22379\n"
      "advertise-client-urls: http://127.0.0.1:22379\n"
      "initial-advertise-peer-urls: http://127.0.0.1:22380\n"
      "initial-cluster: m1=http://127.0.0.1:22380\n"
      "initial-cluster-token: tok\n"
      "experimental-watch-progress-notify-interval: 5m\n"
      "enable-v2: false\n");
  auto r = Parse({"--config-file", path_, "--name", "ignored"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.name, "m1");
  EXPECT_EQ(r->config.initial_cluster_token, "tok");
  EXPECT_EQ(r->config.watch_progress_notify_interval_ms, 5u * 60 * 1000);
  EXPECT_EQ(r->config.config_file, path_);
}

TEST_F(ConfigFileTest, UnknownKeyAndBadYamlRefused) {
  Write("name: m1\nsnapshot-cuont: 5\n");
  auto r = Parse({"--config-file", path_});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown key \"snapshot-cuont\""),
            std::string::npos);
  Write("name: [unclosed\n");
  EXPECT_FALSE(Parse({"--config-file", path_}).ok());
  auto missing = Parse({"--config-file", "/nonexistent/c.yaml"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/c.yaml"),
            std::string::npos);
}

TEST(DurationTest, GoStyle) {
  EXPECT_EQ(*ParseDurationMs("10m"), 600000u);
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5400000u);
  EXPECT_EQ(*ParseDurationMs("250ms"), 250u);
  EXPECT_FALSE(ParseDurationMs("10").ok());
  EXPECT_FALSE(ParseDurationMs("").ok());
}

}  // namespace
}  // namespace server
