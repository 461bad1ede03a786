#include "server/wal/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/server/wal/test_util.h"

namespace server::wal::crc32c {
namespace {

TEST(Crc32cTest, KnownValues) {
  // Check values from RFC 3720 (iSCSI), appendix B.4.
  std::string zeros(32, '\0');
  std::string ones(32, '\xff');
  std::string ascending;
  std::string descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Value(zeros), 0x8a9136aau);
  EXPECT_EQ(Value(ones), 0x62a8ab43u);
  EXPECT_EQ(Value(ascending), 0x46dd794eu);
  EXPECT_EQ(Value(descending), 0x113fdb5cu);
  EXPECT_EQ(Value("123456789"), 0xe3069283u);
  EXPECT_EQ(Value(""), 0u);
}

TEST(Crc32cTest, PortableMatchesDispatchAndExtendComposes) {
  uint32_t seed = testutil::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::string data(4096 + 17, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len : {0, 1, 7, 8, 9, 63, 64, 100, 1000, 4096}) {
      const char* p = data.data() + start;
      uint32_t want = internal::ExtendPortable(0, p, len);
      ASSERT_EQ(Extend(0, p, len), want) << start << " " << len;
      size_t cut = len / 3;
      ASSERT_EQ(Extend(Extend(0, p, cut), p + cut, len - cut), want);
      ASSERT_EQ(internal::ExtendPortable(internal::ExtendPortable(0, p, cut),
                                         p + cut, len - cut),
                want);
    }
  }
  std::printf("crc32c hardware: %s\n", UsingHardware() ? "yes" : "no");
}

}  // namespace
}  // namespace server::wal::crc32c
