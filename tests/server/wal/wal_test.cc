#include "server/wal/wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "tests/server/wal/test_util.h"

namespace server::wal {
namespace {

using testutil::TempDir;

raftpb::Entry E(uint64_t index, uint64_t term, std::string data = "") {
  raftpb::Entry e;
  e.index = index;
  e.term = term;
  e.data = data.empty() ? "data-" + std::to_string(index) : data;
  return e;
}

std::vector<raftpb::Entry> Range(uint64_t lo, uint64_t hi, uint64_t term) {
  std::vector<raftpb::Entry> out;
  for (uint64_t i = lo; i < hi; ++i) out.push_back(E(i, term));
  return out;
}

WalOptions Opts(const std::string& dir, uint64_t segment_bytes = 1 << 20) {
  WalOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  o.metadata = "member=1 cluster=7";
  return o;
}

TEST(WalTest, CreateSaveReopen) {
  TempDir tmp;
  WalContents c;
  {
    auto wal = Wal::Open(Opts(tmp.Sub("wal")), &c);
    ASSERT_TRUE(wal.ok()) << wal.status();
    EXPECT_TRUE(c.created);
    EXPECT_EQ(c.metadata, "member=1 cluster=7");
    EXPECT_TRUE(c.entries.empty());
    ASSERT_TRUE((*wal)->Save({1, 1, 0}, Range(1, 4, 1)).ok());
    ASSERT_TRUE((*wal)->Save({1, 1, 3}, {}).ok());
    ASSERT_TRUE((*wal)->Sync().ok());
    EXPECT_EQ((*wal)->last_index(), 3u);
  }
  WalOptions o = Opts(tmp.Sub("wal"));
  o.metadata = "ignored when the WAL exists";
  auto wal = Wal::Open(o, &c);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_FALSE(c.created);
  EXPECT_EQ(c.metadata, "member=1 cluster=7");
  ASSERT_TRUE(c.StartAt({}).ok());
  EXPECT_EQ(c.hard_state, (raftpb::HardState{1, 1, 3}));
  EXPECT_EQ(c.entries, Range(1, 4, 1));
  EXPECT_EQ((*wal)->last_index(), 3u);
}

TEST(WalTest, LaterEntriesOverwriteConflictingSuffix) {
  TempDir tmp;
  WalContents c;
  {
    auto wal = Wal::Open(Opts(tmp.Sub("wal")), &c);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Save({1, 1, 2}, Range(1, 6, 1)).ok());
    // A new leader at term 2 overwrote entries 4 and 5 with 4..6.
    ASSERT_TRUE((*wal)->Save({2, 2, 3}, Range(4, 7, 2)).ok());
    // Then term 3 overwrote from 5.
    ASSERT_TRUE(
        (*wal)->Save({3, 3, 4}, std::vector<raftpb::Entry>{E(5, 3, "x")}).ok());
    ASSERT_TRUE((*wal)->Sync().ok());
  }
  auto wal = Wal::Open(Opts(tmp.Sub("wal")), &c);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE(c.StartAt({}).ok());
  std::vector<raftpb::Entry> want = Range(1, 4, 1);
  want.push_back(E(4, 2));
  want.push_back(E(5, 3, "x"));
  EXPECT_EQ(c.entries, want);
  EXPECT_EQ(c.hard_state, (raftpb::HardState{3, 3, 4}));
}

TEST(WalTest, SnapshotMarkerReleaseAndStartAt) {
  TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  WalContents c;
  {
    auto wal = Wal::Open(Opts(dir, 4096), &c);
    ASSERT_TRUE(wal.ok());
    for (uint64_t i = 1; i <= 300; ++i) {
      ASSERT_TRUE((*wal)
                      ->Save({1, 1, i - 1}, std::vector<raftpb::Entry>{E(
                                                i, 1, std::string(50, 'p'))})
                      .ok());
      if (i == 120) {
        ASSERT_TRUE((*wal)->SaveSnapshotMarker({100, 1}).ok());
      }
      if (i == 250) {
        ASSERT_TRUE((*wal)->SaveSnapshotMarker({200, 1}).ok());
      }
    }
    ASSERT_TRUE((*wal)->Sync().ok());
    size_t before = (*wal)->record_log().Segments().size();
    ASSERT_GT(before, 5u);
    // Keep what the snapshot at 100 needs (the oldest snapshot kept).
    ASSERT_TRUE((*wal)->ReleaseTo(100).ok());
    EXPECT_LT((*wal)->record_log().Segments().size(), before);
  }
  auto wal = Wal::Open(Opts(dir, 4096), &c);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_TRUE(c.HasMarker({100, 1}));
  EXPECT_TRUE(c.HasMarker({200, 1}));
  EXPECT_FALSE(c.HasMarker({150, 1}));
  EXPECT_EQ(c.metadata, "member=1 cluster=7");  // Repeated per segment.
  EXPECT_EQ(c.hard_state, (raftpb::HardState{1, 1, 299}));
  WalContents from100 = c;
  ASSERT_TRUE(from100.StartAt({100, 1}).ok());
  ASSERT_EQ(from100.entries.size(), 200u);
  EXPECT_EQ(from100.entries.front().index, 101u);
  ASSERT_TRUE(c.StartAt({200, 1}).ok());
  ASSERT_EQ(c.entries.size(), 100u);
  EXPECT_EQ(c.entries.front().index, 201u);
  // A snapshot the WAL has no marker for is refused.
  WalContents bad = c;
  EXPECT_EQ(bad.StartAt({150, 1}).code(), base::StatusCode::kDataLoss);
}

TEST(WalTest, ReleasingTooMuchIsDetectedAtStart) {
  TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  WalContents c;
  {
    auto wal = Wal::Open(Opts(dir, 4096), &c);
    ASSERT_TRUE(wal.ok());
    for (uint64_t i = 1; i <= 300; ++i) {
      ASSERT_TRUE((*wal)
                      ->Save({1, 1, i}, std::vector<raftpb::Entry>{E(
                                            i, 1, std::string(50, 'p'))})
                      .ok());
      if (i == 50) {
        ASSERT_TRUE((*wal)->SaveSnapshotMarker({50, 1}).ok());
      }
      if (i == 250) {
        ASSERT_TRUE((*wal)->SaveSnapshotMarker({250, 1}).ok());
      }
    }
    ASSERT_TRUE((*wal)->Sync().ok());
    ASSERT_TRUE((*wal)->ReleaseTo(250).ok());
  }
  auto wal = Wal::Open(Opts(dir, 4096), &c);
  ASSERT_TRUE(wal.ok());
  // The snapshot at 250 works; falling back to the one at 50 cannot.
  WalContents old = c;
  base::Status s = old.StartAt({50, 1});
  EXPECT_EQ(s.code(), base::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(c.StartAt({250, 1}).ok());
  EXPECT_EQ(c.entries.size(), 50u);
}

TEST(WalTest, CutRepeatsHardStateSoReleaseKeepsIt) {
  TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  WalContents c;
  {
    auto wal = Wal::Open(Opts(dir, 2048), &c);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Save({5, 2, 0}, {}).ok());
    // Entries only (the hard state is not re-saved), across many segments.
    for (uint64_t i = 1; i <= 200; ++i) {
      ASSERT_TRUE((*wal)
                      ->Save({}, std::vector<raftpb::Entry>{E(
                                     i, 5, std::string(40, 'q'))})
                      .ok());
    }
    ASSERT_TRUE((*wal)->SaveSnapshotMarker({190, 5}).ok());
    ASSERT_TRUE((*wal)->ReleaseTo(190).ok());
  }
  auto wal = Wal::Open(Opts(dir, 2048), &c);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(c.hard_state, (raftpb::HardState{5, 2, 0}));
  ASSERT_TRUE(c.StartAt({190, 5}).ok());
  EXPECT_EQ(c.entries.size(), 10u);
}

TEST(WalTest, TornTailKeepsSyncedEntries) {
  TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  WalContents c;
  std::string seg;
  {
    auto wal = Wal::Open(Opts(dir), &c);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Save({1, 1, 0}, Range(1, 11, 1)).ok());
    ASSERT_TRUE((*wal)->Sync().ok());
    seg = dir + "/" + (*wal)->record_log().Segments().back().name;
    uint64_t end = (*wal)->record_log().TailBytes();
    ASSERT_EQ(::truncate(seg.c_str(), static_cast<off_t>(end - 3)), 0);
  }
  auto wal = Wal::Open(Opts(dir), &c);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_TRUE(c.recovery.torn_tail);
  ASSERT_TRUE(c.StartAt({}).ok());
  EXPECT_EQ(c.entries, Range(1, 11, 1));  // The torn record was the hard state.
  EXPECT_TRUE(raftpb::IsEmptyHardState(c.hard_state));
}

TEST(WalTest, UndecodableRecordIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  {
    RecordLogOptions o;
    o.dir = dir;
    o.segment_bytes = 1 << 16;
    auto log = RecordLog::Open(
        o, [](const RecordView&) { return base::Status::OK(); });
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append(77, "what is this").ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  WalContents c;
  auto wal = Wal::Open(Opts(dir), &c);
  ASSERT_FALSE(wal.ok());
  EXPECT_NE(wal.status().message().find("unknown record type 77"),
            std::string::npos)
      << wal.status();
}

TEST(WalTest, CreationCutShortIsRedone) {
  TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  {
    // A crash after the first segment was created, before the metadata.
    RecordLogOptions o;
    o.dir = dir;
    auto log = RecordLog::Open(
        o, [](const RecordView&) { return base::Status::OK(); });
    ASSERT_TRUE(log.ok());
  }
  WalContents c;
  auto wal = Wal::Open(Opts(dir), &c);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_TRUE(c.created);
  wal->reset();
  ASSERT_TRUE(Wal::Open(Opts(dir), &c).ok());
  EXPECT_FALSE(c.created);
  EXPECT_EQ(c.metadata, "member=1 cluster=7");
}

TEST(WalTest, FailedSyncIsStickyAcrossSaves) {
  TempDir tmp;
  int fail = 0;
  WalOptions o = Opts(tmp.Sub("wal"));
  o.fault_hook = [&fail](std::string_view op, std::string_view) {
    return op == "fdatasync" ? fail : 0;
  };
  WalContents c;
  auto wal = Wal::Open(o, &c);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Save({1, 1, 0}, Range(1, 3, 1)).ok());
  fail = EIO;
  base::Status s = (*wal)->Sync();
  ASSERT_FALSE(s.ok());
  fail = 0;
  EXPECT_EQ((*wal)->Save({1, 1, 2}, Range(3, 4, 1)), s);
  EXPECT_EQ((*wal)->Sync(), s);
  EXPECT_EQ((*wal)->SaveSnapshotMarker({2, 1}), s);
  EXPECT_EQ((*wal)->failed(), s);
}

}  // namespace
}  // namespace server::wal
