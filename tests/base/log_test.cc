#include "base/log.h"

#include <gtest/gtest.h>

namespace base {
namespace {

TEST(LogTest, ParseLevels) {
  LogLevel l;
  ASSERT_TRUE(ParseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  ASSERT_TRUE(ParseLogLevel("warning", &l));
  EXPECT_EQ(l, LogLevel::kWarn);
  EXPECT_FALSE(ParseLogLevel("loud", &l));
}

TEST(LogTest, ModuleOverride) {
  SetLogLevel(LogLevel::kWarn);
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo, "wal"));
  SetModuleLogLevel("wal", LogLevel::kDebug);
  EXPECT_TRUE(LogEnabled(LogLevel::kDebug, "wal"));
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo, "grpc"));
  EXPECT_TRUE(LogEnabled(LogLevel::kError, "grpc"));
  testing::internal::CaptureStderr();
  CAIRN_LOG(kWarn, "wal", "segment %d torn at offset %d", 3, 4096);
  CAIRN_LOG(kInfo, "grpc", "not printed");
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find(" W wal: segment 3 torn at offset 4096\n"),
            std::string::npos);
  EXPECT_EQ(out.find("not printed"), std::string::npos);
  SetLogLevel(LogLevel::kInfo);
}

}  // namespace
}  // namespace base
