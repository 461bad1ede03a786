#include "server/config/url.h"

#include <gtest/gtest.h>

namespace server {
namespace {

TEST(UrlTest, Parse) {
  struct Case {
    const char* name;
    const char* text;
    bool ok;
    const char* host;
    uint16_t port;
    const char* error;
  } cases[] = {
      {"ipv4", "http://127.0.0.1:2379", true, "127.0.0.1", 2379, ""},
      {"name", "http://localhost:2380/", true, "localhost", 2380, ""},
      {"ipv6", "http://[::1]:2379", true, "::1", 2379, ""},
      {"no scheme", "127.0.0.1:2379", false, "", 0, "missing scheme"},
      {"bad scheme", "unix://x:1", false, "", 0, "unsupported scheme"},
      {"no port", "http://127.0.0.1", false, "", 0, "missing port"},
      {"bad port", "http://127.0.0.1:99999", false, "", 0, "invalid port"},
      {"path", "http://a:1/v2", false, "", 0, "no path"},
      {"empty host", "http://:1", false, "", 0, "missing host"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = ParseUrl(c.text);
    ASSERT_EQ(r.ok(), c.ok) << r.status();
    if (c.ok) {
      EXPECT_EQ(r->host, c.host);
      EXPECT_EQ(r->port, c.port);
    } else {
      EXPECT_NE(r.status().message().find(c.error), std::string::npos)
          << r.status();
      EXPECT_NE(r.status().message().find(c.text), std::string::npos);
    }
  }
}

TEST(UrlTest, RoundTripAndList) {
  auto list = ParseUrlList("http://127.0.0.1:1,http://[::1]:2");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(JoinUrls(*list), "http://127.0.0.1:1,http://[::1]:2");
  EXPECT_FALSE(ParseUrlList("http://a:1,,http://b:2").ok());
  EXPECT_FALSE(ParseUrlList("").ok());
}

}  // namespace
}  // namespace server
