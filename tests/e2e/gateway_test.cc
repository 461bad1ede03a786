// The JSON gateway with curl, side by side with a real etcd 3.4: the same
// requests against each, status, content type and body compared after
// masking what differs between two clusters (IDs, terms, ports).

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

struct Request {
  std::string path;
  std::string body;
  std::string method = "POST";
};

// Status line, content type and body of one curl request, masked.
std::string Mask(const std::string& text) {
  static const std::regex* id =
      new std::regex("\"(cluster_id|member_id|ID|leader)\":\"[0-9]+\"");
  static const std::regex* term = new std::regex("\"raft_term\":\"[0-9]+\"");
  static const std::regex* endpoint = new std::regex("127\\.0\\.0\\.1:[0-9]+");
  std::string s = std::regex_replace(text, *id, "\"$1\":\"<id>\"");
  s = std::regex_replace(s, *term, "\"raft_term\":\"<term>\"");
  return std::regex_replace(s, *endpoint, "<endpoint>");
}

std::string Url(Cluster& c, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(c.member(0).client_port) + path;
}

std::string Curl(Cluster& c, const Request& r) {
  std::vector<std::string> argv = {
      "curl",   "-s", "-S",
      "-m",     "10", "-X",
      r.method, "-w", "\n%{http_code} %{content_type}"};
  if (r.method == "POST") {
    argv.push_back("--data-binary");
    argv.push_back("@-");
  }
  argv.push_back(Url(c, r.path));
  CommandResult res = RunCommand(argv, r.body);
  return Mask("$ " + r.method + " " + r.path + " " + r.body + "\n" + res.out +
              res.err + "\n");
}

struct Pair {
  std::unique_ptr<Cluster> etcd;
  std::unique_ptr<Cluster> cairn;
};

Pair StartBoth() {
  Pair p;
  std::string error;
  p.etcd = Cluster::Start(Flavor::kEtcd, 1, {}, &error);
  EXPECT_NE(p.etcd, nullptr) << error;
  p.cairn = Cluster::Start(Flavor::kCairn, 1, {}, &error);
  EXPECT_NE(p.cairn, nullptr) << error;
  return p;
}

// Runs `requests` on both and expects the same transcript.
void ExpectSame(Pair& p, const std::vector<Request>& requests) {
  for (const Request& r : requests) {
    std::string want = Curl(*p.etcd, r);
    EXPECT_EQ(Curl(*p.cairn, r), want);
  }
}

// "Zm9v" = foo, "YmFy" = bar, "YmF6" = baz, "Zm9w" = fop.
TEST(GatewayCompatTest, UnaryCallsMatchEtcd) {
  Pair p = StartBoth();
  ASSERT_TRUE(p.etcd && p.cairn);
  ExpectSame(
      p,
      {
          {"/v3/kv/put", R"({"key":"Zm9v","value":"YmFy"})"},
          {"/v3/kv/range", R"({"key":"Zm9v"})"},
          // lowerCamelCase input names, numbers for 64-bit fields, enum names
          // and numbers, unknown fields ignored, trailing bytes ignored.
          {"/v3/kv/range",
           R"({"key":"Zm9v","rangeEnd":"Zm9w","keysOnly":true,"limit":5,)"
           R"("sort_order":"DESCEND","sort_target":2,"bogus":[1,{"a":"}"}]} x)"},
          {"/v3beta/kv/range", R"({"key":"Zm9v","count_only":true})"},
          {"/v3/kv/range", "{}"},
          {"/v3/kv/range", ""},
          {"/v3/kv/txn",
           R"({"compare":[{"key":"Zm9v","result":"EQUAL","target":"VALUE",)"
           R"("value":"YmFy"}],"success":[{"request_put":{"key":"Zm9v",)"
           R"("value":"YmF6"}}],"failure":[{"request_range":{"key":"Zm9v"}}]})"},
          {"/v3/kv/txn",
           R"({"compare":[{"key":"Zm9v","result":"EQUAL","target":"VALUE",)"
           R"("value":"YmFy"}],"success":[{"request_put":{"key":"Zm9v",)"
           R"("value":"YmF6"}}],"failure":[{"request_range":{"key":"Zm9v"}}]})"},
          {"/v3/kv/deleterange", R"({"key":"Zm9v","prev_kv":true})"},
          {"/v3/kv/put", R"({"key":"Zm9v","value":"YmFy","prev_kv":true})"},
          {"/v3/kv/compaction", R"({"revision":"3"})"},
          {"/v3/kv/compaction", R"({"revision":"100"})"},
          {"/v3/kv/range", R"({"key":"Zm9v","revision":"2"})"},
          {"/v3/maintenance/alarm", R"({"action":"GET"})"},
          {"/v3/cluster/member/list", "{}"},
          // Routing: unknown paths, wrong methods, CORS preflight.
          {"/v3/kv/nope", "{}"},
          {"/v3alpha/kv/range", R"({"key":"Zm9v"})"},
          {"/v3/kv/range", "", "GET"},
          {"/v3/kv/range", "", "OPTIONS"},
      });
}

// Status line, header lines (sorted, Date left out) and body of one curl -i
// request.
std::string CurlWithHeaders(Cluster& c, const std::string& method,
                            const std::string& path) {
  std::vector<std::string> argv = {"curl", "-s", "-S", "-m", "10"};
  if (method == "HEAD") {
    argv.push_back("-I");  // -X HEAD would wait for the body.
  } else {
    argv.insert(argv.end(), {"-i", "-X", method});
  }
  argv.push_back(Url(c, path));
  CommandResult res = RunCommand(argv, "");
  std::string status, body;
  std::vector<std::string> headers;
  size_t pos = 0;
  bool in_body = false;
  while (pos < res.out.size()) {
    size_t end = res.out.find('\n', pos);
    if (end == std::string::npos) end = res.out.size();
    std::string line = res.out.substr(pos, end - pos);
    pos = end + 1;
    if (in_body) {
      body += line + "\n";
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      in_body = true;
    } else if (status.empty()) {
      status = line;
    } else if (line.rfind("Date: ", 0) != 0) {
      headers.push_back(line);
    }
  }
  std::sort(headers.begin(), headers.end());
  std::string out = "$ " + method + " " + path + "\n" + status + "\n";
  for (const std::string& h : headers) out += h + "\n";
  return out + "\n" + body + res.err;
}

// etcd answers OPTIONS on every path (a CORS preflight: 200, the CORS
// headers, no body), adds the CORS headers to 404s and 405s, and serves
// /metrics to any method. Headers compared too.
TEST(GatewayCompatTest, PreflightAndMethodsOnEveryPathMatchEtcd) {
  Pair p = StartBoth();
  ASSERT_TRUE(p.etcd && p.cairn);
  struct Case {
    std::string method, path;
  };
  const std::vector<Case> cases = {
      {"OPTIONS", "/health"},   {"OPTIONS", "/version"},
      {"OPTIONS", "/metrics"},  {"OPTIONS", "/v3/kv/range"},
      {"OPTIONS", "/v3/watch"}, {"OPTIONS", "/v3beta/kv/put"},
      {"OPTIONS", "/nope"},     {"POST", "/health"},
      {"HEAD", "/health"},      {"PUT", "/version"},
      {"HEAD", "/version"},     {"GET", "/nope"},
      {"POST", "/nope"},        {"GET", "/v3/kv/range"},
      {"HEAD", "/v3/watch"},    {"DELETE", "/v3/kv/nope"},
  };
  for (const Case& k : cases) {
    std::string want = CurlWithHeaders(*p.etcd, k.method, k.path);
    EXPECT_EQ(CurlWithHeaders(*p.cairn, k.method, k.path), want);
  }
  // /metrics answers POST and HEAD as GET (bodies differ between the two).
  for (const char* m : {"POST", "HEAD"}) {
    std::string got = CurlWithHeaders(*p.cairn, m, "/metrics");
    EXPECT_NE(got.find("HTTP/1.1 200 OK"), std::string::npos) << got;
    EXPECT_NE(got.find("Access-Control-Allow-Origin: *"), std::string::npos)
        << got;
  }
}

// Malformed bodies get etcd's status and gRPC code; the message is the JSON
// parser's own (Go's encoding/json wording cannot be matched).
TEST(GatewayCompatTest, MalformedJsonGetsEtcdsStatusAndCode) {
  Pair p = StartBoth();
  ASSERT_TRUE(p.etcd && p.cairn);
  static const std::regex* msg =
      new std::regex(R"re("(error|message)":"(?:[^"\\]|\\.)*")re");
  for (const Request& r : std::vector<Request>{
           {"/v3/kv/range", "{bad"},
           {"/v3/kv/range", "[1]"},
           {"/v3/kv/range", R"({"key":5})"},
           {"/v3/kv/range", R"({"key":"Zm9v","limit":"abc"})"},
           {"/v3/kv/range", R"({"key":"Zm9v","sort_order":"NOPE"})"},
           {"/v3/kv/put", R"({"key":"not base64!"})"},
           {"/v3/watch", "{bad"},
       }) {
    std::string want = std::regex_replace(Curl(*p.etcd, r), *msg, "$1:<m>");
    EXPECT_EQ(std::regex_replace(Curl(*p.cairn, r), *msg, "$1:<m>"), want);
  }
}

// Starts `curl -N` on a streaming path in the background; Lines() reads
// what it printed so far.
class StreamingCurl {
 public:
  StreamingCurl(Cluster& c, const std::string& path, const std::string& body,
                const std::string& log) {
    std::string error;
    EXPECT_TRUE(proc_.Start(
        {"curl", "-s", "-N", "-m", "20", "--data-binary", body, Url(c, path)},
        log, &error))
        << error;
  }
  size_t Lines() const {
    std::string s = proc_.ReadLog();
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
  bool WaitLines(size_t n) {
    return WaitFor([&] { return Lines() >= n; }, std::chrono::seconds(10));
  }
  std::string Stop() {
    proc_.Stop(SIGTERM);
    return Mask(proc_.ReadLog());
  }

 private:
  Process proc_;
};

TEST(GatewayCompatTest, WatchStreamsMatchEtcd) {
  Pair p = StartBoth();
  ASSERT_TRUE(p.etcd && p.cairn);
  std::vector<std::string> got;
  for (Cluster* c : {p.etcd.get(), p.cairn.get()}) {
    std::string out;
    {
      // Two watchers on one stream (one body, two create requests), then
      // a put and a delete seen by the first, a put seen by the second.
      StreamingCurl w(*c, "/v3/watch",
                      R"({"create_request":{"key":"Zm9v"}})"
                      R"({"create_request":{"key":"YQ==","prev_kv":true}})",
                      c->dir() + "/watch.log");
      EXPECT_TRUE(w.WaitLines(2));
      for (const Request& r : std::vector<Request>{
               {"/v3/kv/put", R"({"key":"Zm9v","value":"YmFy"})"},
               {"/v3/kv/deleterange", R"({"key":"Zm9v"})"},
               {"/v3/kv/put", R"({"key":"YQ==","value":"MQ=="})"},
               {"/v3/kv/put", R"({"key":"YQ==","value":"Mg=="})"},
               {"/v3/kv/compaction", R"({"revision":"3"})"},
           }) {
        out += Curl(*c, r);
      }
      EXPECT_TRUE(w.WaitLines(6));
      out += w.Stop();
    }
    {
      // From a compacted revision: created, then canceled.
      StreamingCurl w(*c, "/v3/watch",
                      R"({"create_request":{"key":"Zm9v","start_revision":1}})",
                      c->dir() + "/compacted.log");
      EXPECT_TRUE(w.WaitLines(2));
      out += w.Stop();
    }
    got.push_back(out);
  }
  EXPECT_EQ(got[1], got[0]);
  EXPECT_NE(got[0].find("\"canceled\":true,\"compact_revision\":\"3\""),
            std::string::npos)
      << got[0];
}

// Lease paths, once a Lease service is registered (until then cairn
// answers them UNIMPLEMENTED, 501, and the test skips).
TEST(GatewayCompatTest, LeaseGrantKeepAliveRevokeMatchEtcd) {
  Pair p = StartBoth();
  ASSERT_TRUE(p.etcd && p.cairn);
  if (Curl(*p.cairn, {"/v3/lease/leases", "{}"}).find("\n501 ") !=
      std::string::npos) {
    GTEST_SKIP() << "no Lease service registered yet";
  }
  ExpectSame(
      p, {
             {"/v3/lease/grant", R"({"TTL":"30","ID":"1000"})"},
             {"/v3/lease/grant", R"({"TTL":60,"ID":1001})"},
             {"/v3/kv/put", R"({"key":"Zm9v","value":"YmFy","lease":"1000"})"},
             {"/v3/lease/keepalive", R"({"ID":"1000"} {"ID":1001})"},
             {"/v3/lease/keepalive", R"({"ID":"77"})"},
             {"/v3/lease/leases", "{}"},
             {"/v3/kv/lease/leases", "{}"},
             {"/v3/lease/revoke", R"({"ID":"1000"})"},
             {"/v3/kv/range", R"({"key":"Zm9v"})"},
             {"/v3/lease/revoke", R"({"ID":"1000"})"},
             {"/v3/kv/lease/revoke", R"({"ID":"1001"})"},
         });
}

}  // namespace
}  // namespace e2e
