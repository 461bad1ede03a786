#include "server/snap/raft_snapshot.h"

#include <gtest/gtest.h>

#include "proto/raftpb/codec.h"
#include "tests/server/wal/test_util.h"

namespace server::snap {
namespace {

TEST(RaftSnapshotTest, RoundTripThroughFile) {
  wal::testutil::TempDir tmp;
  Snapshotter s(tmp.Sub("snap"));
  ASSERT_TRUE(s.Init().ok());
  raftpb::SnapshotMetadata md;
  md.index = 42;
  md.term = 3;
  md.conf_state.voters = {1, 2, 3};
  md.conf_state.learners = {4};
  ASSERT_TRUE(SaveRaftSnapshot(&s, md, "state machine image").ok());
  auto loaded = s.LoadNewest();
  ASSERT_TRUE(loaded.ok());
  auto snap = ToRaftSnapshot(std::move(loaded).value());
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->metadata, md);
  EXPECT_EQ(snap->data.view(), "state machine image");
}

TEST(RaftSnapshotTest, MetadataNotMatchingTheFileIsRefused) {
  wal::testutil::TempDir tmp;
  Snapshotter s(tmp.Sub("snap"));
  ASSERT_TRUE(s.Init().ok());
  raftpb::SnapshotMetadata md;
  md.index = 42;
  md.term = 3;
  std::string encoded;
  raftpb::EncodeSnapshotMetadata(md, &encoded);
  ASSERT_TRUE(s.Save(3, 43, encoded, "x").ok());  // Not md's index.
  auto loaded = s.LoadNewest();
  ASSERT_TRUE(loaded.ok());
  auto snap = ToRaftSnapshot(std::move(loaded).value());
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.status().code(), base::StatusCode::kDataLoss);
  EXPECT_NE(snap.status().message().find("names index 42"), std::string::npos);
}

}  // namespace
}  // namespace server::snap
