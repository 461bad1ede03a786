// The restart path end to end: WAL + snapshot files -> raft::MemoryStorage,
// in the order docs/wal-format.md section 6 gives.

#include "server/wal/raft_storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "server/snap/raft_snapshot.h"
#include "server/snap/snapshotter.h"
#include "server/wal/wal.h"
#include "tests/server/wal/test_util.h"

namespace server::wal {
namespace {

raftpb::Entry E(uint64_t index, uint64_t term) {
  raftpb::Entry e;
  e.index = index;
  e.term = term;
  e.data = "cmd-" + std::to_string(index);
  return e;
}

WalOptions Opts(const std::string& dir) {
  WalOptions o;
  o.dir = dir;
  o.segment_bytes = 4096;
  o.metadata = "m";
  return o;
}

// Restarts: opens the WAL and snapshots and fills *storage.
base::Status Restart(const std::string& data_dir, raft::MemoryStorage* storage,
                     std::vector<std::string>* skipped = nullptr) {
  WalContents c;
  CAIRN_ASSIGN_OR_RETURN(auto wal, Wal::Open(Opts(data_dir + "/wal"), &c));
  snap::Snapshotter snapshotter(data_dir + "/snap");
  CAIRN_RETURN_IF_ERROR(snapshotter.Init());
  snap::LoadOptions lo;
  lo.accept = [&c](uint64_t term, uint64_t index) {
    return c.HasMarker({index, term});
  };
  raftpb::Snapshot snapshot;
  auto loaded = snapshotter.LoadNewest(lo, skipped);
  if (loaded.ok()) {
    CAIRN_ASSIGN_OR_RETURN(snapshot,
                           snap::ToRaftSnapshot(std::move(loaded).value()));
  } else if (loaded.status().code() != base::StatusCode::kNotFound) {
    return loaded.status();
  }
  CAIRN_RETURN_IF_ERROR(
      c.StartAt({snapshot.metadata.index, snapshot.metadata.term}));
  return LoadIntoMemoryStorage(snapshot, c, storage);
}

TEST(RaftStorageTest, FreshStartIsEmpty) {
  testutil::TempDir tmp;
  raft::MemoryStorage storage;
  ASSERT_TRUE(Restart(tmp.path(), &storage).ok());
  EXPECT_EQ(*storage.LastIndex(), 0u);
  EXPECT_EQ(*storage.FirstIndex(), 1u);
}

TEST(RaftStorageTest, RestartFromWalAndSnapshots) {
  testutil::TempDir tmp;
  const std::string wal_dir = tmp.Sub("wal");
  {
    WalContents c;
    auto wal = Wal::Open(Opts(wal_dir), &c);
    ASSERT_TRUE(wal.ok());
    snap::Snapshotter snapshotter(tmp.Sub("snap"));
    ASSERT_TRUE(snapshotter.Init().ok());
    for (uint64_t i = 1; i <= 200; ++i) {
      uint64_t term = i <= 100 ? 1 : 2;
      ASSERT_TRUE(
          (*wal)
              ->Save({term, 1, i - 1}, std::vector<raftpb::Entry>{E(i, term)})
              .ok());
      ASSERT_TRUE((*wal)->Sync().ok());
      if (i == 80 || i == 160) {
        raftpb::SnapshotMetadata md;
        md.index = i - 10;
        md.term = 1 + (md.index > 100);
        md.conf_state.voters = {1, 2, 3};
        ASSERT_TRUE(snap::SaveRaftSnapshot(&snapshotter, md,
                                           "image@" + std::to_string(md.index))
                        .ok());
        ASSERT_TRUE((*wal)->SaveSnapshotMarker({md.index, md.term}).ok());
        ASSERT_TRUE(snapshotter.Release(2).ok());
        auto kept = snapshotter.List();
        ASSERT_TRUE(kept.ok());
        ASSERT_TRUE((*wal)->ReleaseTo(kept->back().index).ok());
      }
    }
  }
  raft::MemoryStorage storage;
  ASSERT_TRUE(Restart(tmp.path(), &storage).ok());
  EXPECT_EQ(*storage.FirstIndex(), 151u);
  EXPECT_EQ(*storage.LastIndex(), 200u);
  EXPECT_EQ(*storage.Term(150), 2u);
  EXPECT_EQ(*storage.Term(200), 2u);
  auto st = storage.InitialState();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->hard_state, (raftpb::HardState{2, 1, 199}));
  auto snapshot = storage.Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->data.view(), "image@150");
  EXPECT_EQ(snapshot->metadata.conf_state.voters,
            (std::vector<uint64_t>{1, 2, 3}));
  std::vector<raftpb::Entry> ents;
  ASSERT_TRUE(storage.Entries(151, 201, UINT64_MAX, &ents).ok());
  ASSERT_EQ(ents.size(), 50u);
  EXPECT_EQ(ents.back(), E(200, 2));

  // The newest snapshot gets corrupted: restart falls back to the one at 70,
  // whose entries the WAL still holds because release kept them.
  auto list = snap::Snapshotter(tmp.Sub("snap")).List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(::truncate((*list)[0].path.c_str(), 20), 0);
  raft::MemoryStorage fallback;
  std::vector<std::string> skipped;
  ASSERT_TRUE(Restart(tmp.path(), &fallback, &skipped).ok());
  EXPECT_EQ(skipped.size(), 1u);
  EXPECT_EQ(*fallback.FirstIndex(), 71u);
  EXPECT_EQ(*fallback.LastIndex(), 200u);
}

TEST(RaftStorageTest, MismatchedStartIsRefused) {
  WalContents c;
  ASSERT_TRUE(c.StartAt({}).ok());
  raftpb::Snapshot snapshot;
  snapshot.metadata.index = 5;
  snapshot.metadata.term = 1;
  raft::MemoryStorage storage;
  EXPECT_EQ(LoadIntoMemoryStorage(snapshot, c, &storage).code(),
            base::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace server::wal
