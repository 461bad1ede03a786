// Tests of Inflights (raft/tracker/inflights.h), after etcd's
// tracker/inflights_test.go, plus the byte limit.

#include "raft/tracker/inflights.h"

#include <gtest/gtest.h>

namespace raft::tracker {
namespace {

TEST(InflightsTest, AddFreeAndWrapAround) {
  Inflights in(10, 0);
  for (uint64_t i = 0; i < 5; ++i) in.Add(i, 100 + i);
  EXPECT_EQ(in.Count(), 5u);
  EXPECT_EQ(in.bytes(), 510u);
  EXPECT_FALSE(in.Full());
  for (uint64_t i = 5; i < 10; ++i) in.Add(i, 100 + i);
  EXPECT_TRUE(in.Full());
  EXPECT_EQ(in.bytes(), 1045u);

  in.FreeLE(4);  // Frees 0..4.
  EXPECT_EQ(in.Count(), 5u);
  EXPECT_EQ(in.bytes(), 535u);
  // Wraps around the ring.
  for (uint64_t i = 10; i < 15; ++i) in.Add(i, 1);
  EXPECT_TRUE(in.Full());
  in.FreeLE(8);
  EXPECT_EQ(in.Count(), 6u);
  EXPECT_EQ(in.bytes(), 109u + 5u);
  in.FreeLE(14);
  EXPECT_EQ(in.Count(), 0u);
  EXPECT_EQ(in.bytes(), 0u);
  EXPECT_FALSE(in.Full());
}

TEST(InflightsTest, FreeLEIgnoresStaleAndPartial) {
  Inflights in(10, 0);
  for (uint64_t i = 5; i < 10; ++i) in.Add(i, 1);
  in.FreeLE(4);  // Below everything: nothing freed.
  EXPECT_EQ(in.Count(), 5u);
  in.FreeLE(7);
  EXPECT_EQ(in.Count(), 2u);
  in.FreeLE(7);  // Again: no-op.
  EXPECT_EQ(in.Count(), 2u);
  in.FreeLE(100);
  EXPECT_EQ(in.Count(), 0u);
}

TEST(InflightsTest, FullByBytes) {
  struct Case {
    const char* name;
    std::vector<uint64_t> sizes;
    bool wfull;
  };
  const Case cases[] = {
      {"under both limits", {10, 10, 10}, false},
      {"exactly the byte limit", {40, 60}, true},
      {"over the byte limit with one message", {150}, true},
      {"count limit", {1, 1, 1, 1, 1}, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Inflights in(5, 100);
    uint64_t i = 1;
    for (uint64_t s : c.sizes) in.Add(i++, s);
    EXPECT_EQ(in.Full(), c.wfull);
  }
}

TEST(InflightsTest, FreeingBytesUnfills) {
  Inflights in(10, 100);
  in.Add(1, 60);
  in.Add(2, 50);
  EXPECT_TRUE(in.Full());
  in.FreeLE(1);
  EXPECT_FALSE(in.Full());
  EXPECT_EQ(in.bytes(), 50u);
}

TEST(InflightsTest, AddWhenFullAborts) {
  Inflights in(2, 0);
  in.Add(1, 0);
  in.Add(2, 0);
  EXPECT_DEATH(in.Add(3, 0), "full inflights");
}

TEST(InflightsTest, ResetEmpties) {
  Inflights in(3, 0);
  in.Add(1, 5);
  in.Add(2, 5);
  in.Reset();
  EXPECT_EQ(in.Count(), 0u);
  EXPECT_EQ(in.bytes(), 0u);
  // Reusable after a reset.
  for (uint64_t i = 10; i < 13; ++i) in.Add(i, 1);
  EXPECT_TRUE(in.Full());
}

}  // namespace
}  // namespace raft::tracker
