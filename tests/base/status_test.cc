#include "base/status.h"

#include <gtest/gtest.h>

namespace base {
namespace {

Status FailIf(bool fail) {
  if (fail) return Status::InvalidArgument("bad");
  return Status::OK();
}

Status Chain(bool fail) {
  CAIRN_RETURN_IF_ERROR(FailIf(fail));
  return Status::NotFound("reached the end");
}

TEST(StatusTest, OkAndError) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status().ToString(), "OK");
  Status s = Status::DataLoss("wal: bad crc at offset 12");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(static_cast<int>(s.code()), 15);
  EXPECT_EQ(s.ToString(), "DATA_LOSS: wal: bad crc at offset 12");
}

TEST(StatusTest, EqualityIsCodeAndMessage) {
  EXPECT_EQ(Status::OutOfRange("x"), Status::OutOfRange("x"));
  EXPECT_NE(Status::OutOfRange("x"), Status::OutOfRange("y"));
  EXPECT_NE(Status::OutOfRange("x"), Status::Internal("x"));
}

TEST(StatusTest, AnnotateKeepsCode) {
  Status s = Status::Internal("fsync: EIO").Annotate("wal/0001.wal");
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "wal/0001.wal: fsync: EIO");
  EXPECT_TRUE(Status().Annotate("x").ok());
}

TEST(StatusTest, ReturnIfError) {
  EXPECT_EQ(Chain(true).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Chain(false).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace base
