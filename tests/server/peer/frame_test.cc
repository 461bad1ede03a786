// server/peer/frame: the handshake and verdict codecs and the frame reader.

#include "server/peer/frame.h"

#include <gtest/gtest.h>

#include <string>

namespace server::peer {
namespace {

TEST(FrameTest, HandshakeRoundTrip) {
  Handshake h;
  h.kind = StreamKind::kSnapshot;
  h.cluster_id = 0x1234567890abcdef;
  h.from = 7;
  h.to = 9;
  h.name = "m1";
  h.client_urls = {"http://127.0.0.1:2379", "http://10.0.0.1:2379"};
  auto d = DecodeHandshake(EncodeHandshake(h));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->kind, h.kind);
  EXPECT_EQ(d->cluster_id, h.cluster_id);
  EXPECT_EQ(d->from, h.from);
  EXPECT_EQ(d->to, h.to);
  EXPECT_EQ(d->name, h.name);
  EXPECT_EQ(d->client_urls, h.client_urls);
}

TEST(FrameTest, TruncatedOrBadHandshakesAreRefused) {
  Handshake h;
  h.name = "abc";
  h.client_urls = {"x"};
  std::string bytes = EncodeHandshake(h);
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(DecodeHandshake(bytes.substr(0, n)).ok());
  }
  EXPECT_FALSE(DecodeHandshake(bytes + "x").ok());
  bytes[0] = 9;  // Unknown stream kind.
  EXPECT_FALSE(DecodeHandshake(bytes).ok());
}

TEST(FrameTest, VerdictRoundTrip) {
  Verdict v{VerdictCode::kClusterMismatch, 5, 6, "other cluster"};
  auto d = DecodeVerdict(EncodeVerdict(v));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->code, v.code);
  EXPECT_EQ(d->cluster_id, 5u);
  EXPECT_EQ(d->member_id, 6u);
  EXPECT_EQ(d->message, "other cluster");
  EXPECT_FALSE(DecodeVerdict("").ok());
}

TEST(FrameTest, ReaderCutsFramesAcrossArbitrarySplits) {
  std::string stream;
  AppendFrame("one", &stream);
  AppendFrame("", &stream);
  AppendFrame(std::string(70000, 'x'), &stream);
  for (size_t step : {1u, 3u, 7u, 4096u, 1000000u}) {
    SCOPED_TRACE(step);
    FrameReader r(1 << 20);
    std::vector<std::string> got;
    for (size_t i = 0; i < stream.size(); i += step) {
      r.Feed(std::string_view(stream).substr(i, step));
      std::string body;
      while (r.Next(&body)) got.push_back(body);
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], "one");
    EXPECT_EQ(got[1], "");
    EXPECT_EQ(got[2].size(), 70000u);
    EXPECT_EQ(r.buffered(), 0u);
  }
}

TEST(FrameTest, ReaderRefusesOversizedFrames) {
  FrameReader r(16);
  std::string s;
  AppendFrame(std::string(17, 'x'), &s);
  r.Feed(s);
  std::string body;
  EXPECT_FALSE(r.Next(&body));
  EXPECT_FALSE(r.status().ok());
}

}  // namespace
}  // namespace server::peer
