#include "server/grpc/framing.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace server::grpc {
namespace {

TEST(FramingTest, EncodeMessage) {
  EXPECT_EQ(EncodeMessage(""), std::string("\0\0\0\0\0", 5));
  EXPECT_EQ(EncodeMessage("abc"), std::string("\0\0\0\0\3abc", 8));
  std::string big(0x010203, 'x');
  EXPECT_EQ(EncodeMessage(big).substr(0, 5),
            std::string("\0\0\x01\x02\x03", 5));
}

TEST(FramingTest, ReaderReassemblesAcrossArbitrarySplits) {
  std::vector<std::string> msgs = {"", "a", std::string(70000, 'z'), "tail"};
  std::string wire;
  for (const auto& m : msgs) wire += EncodeMessage(m);
  uint32_t seed = std::random_device{}();
  if (const char* s = std::getenv("CAIRN_TEST_SEED")) seed = std::stoul(s);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (set CAIRN_TEST_SEED)");
  std::mt19937 rng(seed);
  for (int round = 0; round < 50; ++round) {
    MessageReader reader(1 << 20, "");
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < wire.size()) {
      size_t n = std::uniform_int_distribution<size_t>(1, 9000)(rng);
      n = std::min(n, wire.size() - pos);
      ASSERT_TRUE(
          reader.Push(std::string_view(wire).substr(pos, n), &out).ok());
      pos += n;
    }
    EXPECT_EQ(out, msgs);
    EXPECT_FALSE(reader.partial());
  }
}

TEST(FramingTest, ReaderErrors) {
  struct Case {
    const char* name;
    std::string bytes;
    std::string encoding;
    base::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"too large", std::string("\0\0\0\0\x0b", 5), "",
       base::StatusCode::kResourceExhausted,
       "grpc: received message larger than max (11 vs. 10)"},
      {"compressed", std::string("\1\0\0\0\1x", 6), "gzip",
       base::StatusCode::kUnimplemented,
       "grpc: Decompressor is not installed for grpc-encoding \"gzip\""},
      {"compressed no encoding", std::string("\1\0\0\0\1x", 6), "",
       base::StatusCode::kInternal,
       "grpc: compressed flag set with identity or empty encoding"},
      {"bad flag", std::string("\7\0\0\0\1x", 6), "",
       base::StatusCode::kInternal, "grpc: invalid message compressed flag 7"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MessageReader reader(10, c.encoding);
    std::vector<std::string> out;
    base::Status st = reader.Push(c.bytes, &out);
    EXPECT_EQ(st.code(), c.code);
    EXPECT_EQ(st.message(), c.message);
    EXPECT_TRUE(out.empty());
  }
}

TEST(FramingTest, ReaderPartial) {
  MessageReader reader(100, "");
  std::vector<std::string> out;
  ASSERT_TRUE(reader.Push(std::string("\0\0\0", 3), &out).ok());
  EXPECT_TRUE(reader.partial());
  ASSERT_TRUE(reader.Push(std::string("\0\2a", 3), &out).ok());
  EXPECT_TRUE(reader.partial());
  ASSERT_TRUE(reader.Push("b", &out).ok());
  EXPECT_FALSE(reader.partial());
  EXPECT_EQ(out, std::vector<std::string>{"ab"});
}

TEST(FramingTest, ParseGrpcTimeout) {
  struct Case {
    const char* value;
    std::optional<uint64_t> ms;
  };
  std::vector<Case> cases = {
      {"1H", 3600000},
      {"2M", 120000},
      {"5S", 5000},
      {"250m", 250},
      {"4999968u", 5000},
      {"1u", 1},
      {"1n", 1},
      {"0m", 0},
      {"99999999S", 99999999000ull},
      {"123456789S", std::nullopt},
      {"", std::nullopt},
      {"S", std::nullopt},
      {"10x", std::nullopt},
      {"-1S", std::nullopt},
      {"1.5S", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(ParseGrpcTimeoutMs(c.value), c.ms);
  }
}

TEST(FramingTest, UnmarshalError) {
  base::Status st = UnmarshalError("proto: bad wiretype");
  EXPECT_EQ(st.code(), base::StatusCode::kInternal);
  EXPECT_EQ(st.message(),
            "grpc: error unmarshalling request: proto: bad wiretype");
}

TEST(FramingTest, PercentEncoding) {
  EXPECT_EQ(PercentEncode("etcdserver: key is not provided"),
            "etcdserver: key is not provided");
  EXPECT_EQ(PercentEncode("100%"), "100%25");
  EXPECT_EQ(PercentEncode("a\nb\xc3\xa9~\x7f"), "a%0Ab%C3%A9~%7F");
  EXPECT_EQ(PercentDecode("a%0Ab%C3%A9~%7F"), "a\nb\xc3\xa9~\x7f");
  EXPECT_EQ(PercentDecode("bad%zzescape%4"), "bad%zzescape%4");
}

}  // namespace
}  // namespace server::grpc
