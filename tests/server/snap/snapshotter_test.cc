#include "server/snap/snapshotter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "server/wal/file_util.h"
#include "tests/server/wal/test_util.h"

namespace server::snap {
namespace {

using wal::testutil::TempDir;

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void WriteFile(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  ::close(fd);
}

TEST(SnapshotterTest, FileNames) {
  EXPECT_EQ(SnapshotFileName(2, 0x1f),
            "0000000000000002-000000000000001f.snap");
  uint64_t term;
  uint64_t index;
  ASSERT_TRUE(ParseSnapshotFileName("0000000000000002-000000000000001f.snap",
                                    &term, &index));
  EXPECT_EQ(term, 2u);
  EXPECT_EQ(index, 31u);
  EXPECT_FALSE(ParseSnapshotFileName(
      "0000000000000002-000000000000001f.snap.tmp", &term, &index));
  EXPECT_FALSE(ParseSnapshotFileName("000000000000000G-000000000000001f.snap",
                                     &term, &index));
}

TEST(SnapshotterTest, SaveLoadRoundTrip) {
  TempDir tmp;
  Snapshotter s(tmp.Sub("snap"));
  ASSERT_TRUE(s.Init().ok());
  auto none = s.LoadNewest();
  EXPECT_EQ(none.status().code(), base::StatusCode::kNotFound);
  std::string payload(3 << 20, '\0');  // Spans several I/O chunks.
  for (size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>(i * 7);
  }
  ASSERT_TRUE(s.Save(1, 10, "meta-10", "small").ok());
  ASSERT_TRUE(s.Save(3, 42, "meta-42", payload).ok());
  ASSERT_TRUE(s.Save(2, 20, "", "").ok());
  auto got = s.LoadNewest();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->term, 3u);
  EXPECT_EQ(got->index, 42u);
  EXPECT_EQ(got->metadata, "meta-42");
  EXPECT_TRUE(got->payload == payload);
  EXPECT_EQ(got->payload_size, payload.size());
  auto list = s.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].index, 20u);
  auto empty = s.Load((*list)[1]);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->metadata.empty());
  EXPECT_TRUE(empty->payload.empty());
}

TEST(SnapshotterTest, StreamsPayloadFromAndToFiles) {
  TempDir tmp;
  Snapshotter s(tmp.Sub("snap"));
  ASSERT_TRUE(s.Init().ok());
  std::string payload(2500000, 'q');
  payload[12345] = 'z';
  WriteFile(tmp.Sub("src.db"), payload);
  ASSERT_TRUE(s.SaveFromFile(4, 100, "md", tmp.Sub("src.db")).ok());
  LoadOptions opts;
  opts.payload_path = tmp.Sub("dst.db");
  auto got = s.LoadNewest(opts);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->payload.empty());
  EXPECT_EQ(got->payload_size, payload.size());
  auto dst = wal::ReadFile(tmp.Sub("dst.db"));
  ASSERT_TRUE(dst.ok());
  EXPECT_TRUE(*dst == payload);
}

TEST(SnapshotterTest, LeftoverTempFileIsIgnoredAndRemoved) {
  TempDir tmp;
  Snapshotter s(tmp.Sub("snap"));
  ASSERT_TRUE(s.Init().ok());
  ASSERT_TRUE(s.Save(1, 5, "m", "five").ok());
  // A crash in the middle of writing a newer snapshot.
  WriteFile(tmp.Sub("snap/") + SnapshotFileName(2, 9) + ".tmp", "half a sn");
  auto got = s.LoadNewest();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->index, 5u);
  ASSERT_TRUE(s.Init().ok());
  EXPECT_EQ(Files(tmp.Sub("snap")),
            (std::vector<std::string>{SnapshotFileName(1, 5)}));
}

TEST(SnapshotterTest, CorruptNewestFallsBackToPreviousValid) {
  TempDir tmp;
  const std::string dir = tmp.Sub("snap");
  Snapshotter s(dir);
  ASSERT_TRUE(s.Init().ok());
  ASSERT_TRUE(s.Save(1, 5, "m5", "five").ok());
  ASSERT_TRUE(s.Save(1, 8, "m8", "eight").ok());
  ASSERT_TRUE(s.Save(2, 12, "m12", "twelve").ok());
  const std::string newest = dir + "/" + SnapshotFileName(2, 12);
  auto data = wal::ReadFile(newest);
  ASSERT_TRUE(data.ok());
  // Every single-byte corruption of the newest file is detected.
  for (size_t k = 0; k < data->size(); ++k) {
    SCOPED_TRACE("byte " + std::to_string(k));
    std::string d = *data;
    d[k] = static_cast<char>(d[k] ^ 0x01);
    WriteFile(newest, d);
    auto got = s.Load({2, 12, SnapshotFileName(2, 12), newest});
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), base::StatusCode::kDataLoss);
    EXPECT_NE(got.status().message().find(newest), std::string::npos);
  }
  std::vector<std::string> skipped;
  auto got = s.LoadNewest({}, &skipped);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->index, 8u);
  EXPECT_EQ(got->payload, "eight");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find(SnapshotFileName(2, 12)), std::string::npos);
  // The broken file was set aside and is not tried again.
  EXPECT_TRUE(std::filesystem::exists(newest + ".broken"));
  skipped.clear();
  ASSERT_TRUE(s.LoadNewest({}, &skipped).ok());
  EXPECT_TRUE(skipped.empty());
  // A truncated file is corrupt too.
  auto eight = wal::ReadFile(dir + "/" + SnapshotFileName(1, 8));
  WriteFile(dir + "/" + SnapshotFileName(1, 8), eight->substr(0, 30));
  got = s.LoadNewest({}, &skipped);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->index, 5u);
}

TEST(SnapshotterTest, AcceptFilterSkipsSnapshotsWithoutWalMarker) {
  TempDir tmp;
  Snapshotter s(tmp.Sub("snap"));
  ASSERT_TRUE(s.Init().ok());
  ASSERT_TRUE(s.Save(1, 5, "", "five").ok());
  ASSERT_TRUE(s.Save(1, 9, "", "nine").ok());
  LoadOptions opts;
  opts.accept = [](uint64_t, uint64_t index) { return index != 9; };
  auto got = s.LoadNewest(opts);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->index, 5u);
}

TEST(SnapshotterTest, ReleaseKeepsNewestN) {
  TempDir tmp;
  const std::string dir = tmp.Sub("snap");
  Snapshotter s(dir);
  ASSERT_TRUE(s.Init().ok());
  for (uint64_t i = 1; i <= 6; ++i) {
    ASSERT_TRUE(s.Save(1, i * 10, "", std::to_string(i)).ok());
  }
  WriteFile(dir + "/" + SnapshotFileName(1, 15) + ".broken", "x");
  ASSERT_TRUE(s.Release(2).ok());
  EXPECT_EQ(Files(dir), (std::vector<std::string>{SnapshotFileName(1, 50),
                                                  SnapshotFileName(1, 60)}));
}

TEST(SnapshotterTest, FailedWriteLeavesNoFileAndKeepsOld) {
  TempDir tmp;
  const std::string dir = tmp.Sub("snap");
  int fail = 0;
  Snapshotter s(dir, [&fail](std::string_view op, std::string_view) {
    return op == "fsync" ? fail : 0;
  });
  ASSERT_TRUE(s.Init().ok());
  ASSERT_TRUE(s.Save(1, 5, "", "five").ok());
  fail = ENOSPC;
  base::Status st = s.Save(1, 9, "", "nine");
  EXPECT_EQ(st.code(), base::StatusCode::kResourceExhausted) << st;
  fail = 0;
  EXPECT_EQ(Files(dir), (std::vector<std::string>{SnapshotFileName(1, 5)}));
  auto got = s.LoadNewest();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->index, 5u);
}

}  // namespace
}  // namespace server::snap
