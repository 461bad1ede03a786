#include "server/http/request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace server::http {
namespace {

TEST(RequestParserTest, ParsesRequestsWhole) {
  struct Case {
    const char* name;
    std::string bytes;
    std::string method, path, query, body;
    bool keep_alive;
  };
  std::vector<Case> cases = {
      {"get", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "/health", "",
       "", true},
      {"query", "GET /v?a=1&b HTTP/1.1\r\n\r\n", "GET", "/v", "a=1&b", "",
       true},
      {"post body",
       "POST /v3/kv/range HTTP/1.1\r\nContent-Length: "
       "12\r\n\r\n{\"key\":\"x\"}!",
       "POST", "/v3/kv/range", "", "{\"key\":\"x\"}!", true},
      {"close", "GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", "GET", "/", "",
       "", false},
      {"1.0", "GET / HTTP/1.0\r\n\r\n", "GET", "/", "", "", false},
      {"1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
       "GET", "/", "", "", true},
      {"leading crlf", "\r\nGET / HTTP/1.1\r\n\r\n", "GET", "/", "", "", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // Whole, and one byte at a time.
    for (bool bytewise : {false, true}) {
      RequestParser p;
      HttpRequest req;
      bool complete = false;
      if (bytewise) {
        for (size_t i = 0; i < c.bytes.size() && !complete; ++i) {
          p.Push(c.bytes.substr(i, 1));
          ASSERT_TRUE(p.Next(&req, &complete).ok());
          if (i + 1 < c.bytes.size()) {
            ASSERT_FALSE(complete) << i;
          }
        }
      } else {
        p.Push(c.bytes);
        ASSERT_TRUE(p.Next(&req, &complete).ok());
      }
      ASSERT_TRUE(complete);
      EXPECT_EQ(req.method, c.method);
      EXPECT_EQ(req.path, c.path);
      EXPECT_EQ(req.query, c.query);
      EXPECT_EQ(req.body, c.body);
      EXPECT_EQ(req.KeepAlive(), c.keep_alive);
      EXPECT_EQ(p.buffered(), 0u);
    }
  }
}

TEST(RequestParserTest, PipelinedRequests) {
  RequestParser p;
  p.Push(
      "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\ncontent-length: "
      "1\r\n\r\nzGET /c");
  HttpRequest req;
  bool complete = false;
  ASSERT_TRUE(p.Next(&req, &complete).ok());
  ASSERT_TRUE(complete);
  EXPECT_EQ(req.path, "/a");
  ASSERT_TRUE(p.Next(&req, &complete).ok());
  ASSERT_TRUE(complete);
  EXPECT_EQ(req.path, "/b");
  EXPECT_EQ(req.body, "z");
  ASSERT_TRUE(p.Next(&req, &complete).ok());
  EXPECT_FALSE(complete);
}

TEST(RequestParserTest, Errors) {
  struct Case {
    const char* name;
    std::string bytes;
    int http_status;
  };
  std::vector<Case> cases = {
      {"garbage", std::string("\x16\x03\x01\x02\x00 x\r\n\r\n", 11), 400},
      {"no version", "GET /\r\n\r\n", 400},
      // A bad request line is refused before any blank line arrives.
      {"garbage line, no blank line", "\x16\x03 garbage\r\nmore", 400},
      {"http2 version", "GET / HTTP/2.0\r\n\r\n", 400},
      {"bad header", "GET / HTTP/1.1\r\nno colon\r\n\r\n", 400},
      {"bad length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
      {"body too large", "POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
       413},
      {"header too large", "GET / HTTP/1.1\r\nX: " + std::string(70000, 'a'),
       431},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RequestParser p;
    p.Push(c.bytes);
    HttpRequest req;
    bool complete = false;
    base::Status st = p.Next(&req, &complete);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(HttpStatusForParseError(st), c.http_status) << st;
  }
}

}  // namespace
}  // namespace server::http
