#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace base {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  CAIRN_ASSIGN_OR_RETURN(int h, Half(x));
  CAIRN_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(ResultTest, ValueAndError) {
  Result<int> r = Half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4);
  EXPECT_TRUE(r.status().ok());
  Result<int> e = Half(3);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status(), Status::InvalidArgument("odd"));
  EXPECT_EQ(e.value_or(-1), -1);
}

TEST(ResultTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

TEST(ResultTest, MoveOnlyValue) {
  Result<std::unique_ptr<std::string>> r =
      std::make_unique<std::string>("moved");
  std::unique_ptr<std::string> p = std::move(r).value();
  EXPECT_EQ(*p, "moved");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> e = Half(1);
  EXPECT_DEATH((void)e.value(), "Result accessed with error");
}

}  // namespace
}  // namespace base
