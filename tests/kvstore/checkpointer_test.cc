// The background checkpointer (kvstore/checkpointer.h) behind Backend: it
// runs, it keeps the -wal file from growing while commits go on, it pauses
// while held, and nothing committed is lost across it.

#include "kvstore/checkpointer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "kvstore/backend.h"
#include "tests/kvstore/store_test_util.h"

namespace kvstore {
namespace {

using testing::TempDir;

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

std::unique_ptr<Backend> OpenBackend(const std::string& path) {
  auto b = Backend::Open(path, SyncMode::kNormal, nullptr);
  CAIRN_CHECK(b.ok(), "open %s: %s", path.c_str(),
              b.status().ToString().c_str());
  return std::move(*b);
}

// Commits `n` transactions of one row each, from revision `*rev`.
void Commit(Backend* b, int n, int64_t* rev) {
  const std::string value(100, 'v');
  for (int i = 0; i < n; ++i, ++*rev) {
    ASSERT_TRUE(b->Begin().ok());
    ASSERT_TRUE(
        b->InsertKv({*rev, 0}, "k" + std::to_string(*rev), *rev, 1, 0, value)
            .ok());
    ASSERT_TRUE(b->Commit().ok());
  }
}

int64_t CountRows(Backend* b, int64_t last_rev) {
  int64_t rows = 0;
  EXPECT_TRUE(b->ScanKv(1, last_rev, false, [&](const Row&) {
                 ++rows;
                 return true;
               }).ok());
  return rows;
}

// A store written in bursts, each just past the background threshold: after
// each burst's background checkpoint the next commit starts the -wal file
// over, so it never nears the inline backstop's size, though the bursts
// together write twice that many pages.
TEST(CheckpointerTest, BackgroundCheckpointsLetTheWalStartOver) {
  TempDir dir;
  const std::string db = dir.File("db.sqlite");
  auto b = OpenBackend(db);
  int64_t rev = 1;
  int64_t pages = 0;
  int bursts = 0;
  while (pages < 2 * Backend::kInlineCheckpointFrames) {
    for (int i = 0; b->wal_frames() < Backend::kBackgroundCheckpointFrames + 8;
         ++i) {
      ASSERT_LT(i, Backend::kBackgroundCheckpointFrames * 2);
      Commit(b.get(), 1, &rev);
    }
    pages += b->wal_frames();
    ++bursts;
    b->checkpointer().WaitIdle();
    Commit(b.get(), 1, &rev);
    ASSERT_LT(b->wal_frames(), 16) << "the WAL did not start over after "
                                   << "burst " << bursts;
  }
  EXPECT_TRUE(b->checkpointer().last_error().ok())
      << b->checkpointer().last_error().ToString();
  EXPECT_GE(b->checkpointer().checkpoints(), uint64_t(bursts));
  const int64_t page = 4096 + 24;
  EXPECT_LT(FileSize(db + "-wal"),
            int64_t{Backend::kBackgroundCheckpointFrames + 1000} * page);
  EXPECT_EQ(CountRows(b.get(), rev), rev - 1);
  // Everything committed is there after a reopen, in the database file.
  b.reset();
  EXPECT_EQ(FileSize(db + "-wal"), 0);
  b = OpenBackend(db);
  EXPECT_EQ(CountRows(b.get(), rev), rev - 1);
}

// While Hold()'s lock is held a requested checkpoint waits; it runs once
// the lock is released.
TEST(CheckpointerTest, HoldPausesTheBackgroundCheckpoint) {
  TempDir dir;
  auto b = OpenBackend(dir.File("db.sqlite"));
  int64_t rev = 1;
  Commit(b.get(), 10, &rev);
  Checkpointer& c = b->checkpointer();
  c.WaitIdle();
  const uint64_t before = c.checkpoints();
  {
    auto hold = c.Hold();
    c.Request();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(c.checkpoints(), before);
  }
  c.WaitIdle();
  EXPECT_EQ(c.checkpoints(), before + 1);
  // Vacuum's own checkpoint is not refused as busy by the background one.
  Commit(b.get(), 2000, &rev);
  ASSERT_TRUE(b->Vacuum().ok());
  EXPECT_EQ(FileSize(dir.File("db.sqlite-wal")), 0);
  EXPECT_EQ(CountRows(b.get(), rev), rev - 1);
}

// A checkpointer does not start on a file that is not a database, and says
// which file.
TEST(CheckpointerTest, StartOnGarbageFailsNamingTheFile) {
  TempDir dir;
  const std::string path = dir.File("garbage");
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("this is not a database, not even a little bit; padding.......", f);
  fclose(f);
  auto c = Checkpointer::Start(path, "PRAGMA synchronous=NORMAL");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(path), std::string::npos)
      << c.status().ToString();
}

}  // namespace
}  // namespace kvstore
