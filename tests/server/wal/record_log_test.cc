#include "server/wal/record_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "server/wal/file_util.h"
#include "server/wal/record_format.h"
#include "tests/server/wal/test_util.h"

namespace server::wal {
namespace {

using testutil::TempDir;

struct Rec {
  uint8_t type;
  std::string payload;
  friend bool operator==(const Rec&, const Rec&) = default;
};

RecordLogOptions Opts(const std::string& dir, uint64_t segment_bytes = 4096) {
  RecordLogOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  return o;
}

// Opens the log, collecting every record.
base::Result<std::unique_ptr<RecordLog>> OpenCollect(
    const RecordLogOptions& o, std::vector<Rec>* out,
    RecoveryInfo* info = nullptr) {
  out->clear();
  return RecordLog::Open(
      o,
      [out](const RecordView& r) {
        out->push_back({r.type, std::string(r.payload)});
        return base::Status::OK();
      },
      info);
}

std::string Payload(size_t i, size_t len) {
  std::string s(len, '\0');
  for (size_t k = 0; k < len; ++k) s[k] = static_cast<char>('a' + (i + k) % 26);
  return s;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Writes `n` records of `len` bytes (cutting segments when due) and syncs.
std::vector<Rec> WriteRecords(RecordLog* log, size_t n, size_t len,
                              size_t first = 0) {
  std::vector<Rec> recs;
  for (size_t i = first; i < first + n; ++i) {
    Rec r{static_cast<uint8_t>(1 + i % 3), Payload(i, len)};
    EXPECT_TRUE(log->Append(r.type, r.payload).ok());
    recs.push_back(r);
    if (log->ShouldCut()) {
      EXPECT_TRUE(log->Cut(i + 1).ok());
    }
  }
  EXPECT_TRUE(log->Sync().ok());
  return recs;
}

TEST(RecordLogTest, EmptyThenRoundTrip) {
  TempDir tmp;
  std::vector<Rec> got;
  {
    auto log = OpenCollect(Opts(tmp.Sub("wal")), &got);
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_TRUE(got.empty());
    ASSERT_TRUE((*log)->Append(1, "hello").ok());
    ASSERT_TRUE((*log)->Append(2, "").ok());
    ASSERT_TRUE((*log)->Append(255, std::string(10000, 'x')).ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  RecoveryInfo info;
  auto log = OpenCollect(Opts(tmp.Sub("wal")), &got, &info);
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<Rec> want = {
      {1, "hello"}, {2, ""}, {255, std::string(10000, 'x')}};
  EXPECT_EQ(got, want);
  EXPECT_FALSE(info.torn_tail);
  EXPECT_EQ(info.records, 3u);
  // Appending after recovery continues where the data ended.
  ASSERT_TRUE((*log)->Append(3, "more").ok());
  ASSERT_TRUE((*log)->Sync().ok());
  log->reset();
  ASSERT_TRUE(OpenCollect(Opts(tmp.Sub("wal")), &got).ok());
  want.push_back({3, "more"});
  EXPECT_EQ(got, want);
}

TEST(RecordLogTest, UnsyncedRecordsAreNotWrittenBeforeSync) {
  TempDir tmp;
  std::vector<Rec> got;
  {
    auto log = OpenCollect(Opts(tmp.Sub("wal")), &got);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append(1, "synced").ok());
    ASSERT_TRUE((*log)->Sync().ok());
    ASSERT_TRUE((*log)->Append(1, "buffered only").ok());
  }  // Destroyed without Sync: like a crash.
  ASSERT_TRUE(OpenCollect(Opts(tmp.Sub("wal")), &got).ok());
  EXPECT_EQ(got, (std::vector<Rec>{{1, "synced"}}));
}

TEST(RecordLogTest, ManyRecordsAcrossSegmentRollovers) {
  TempDir tmp;
  std::vector<Rec> got;
  std::vector<Rec> want;
  {
    auto log = OpenCollect(Opts(tmp.Sub("wal")), &got);
    ASSERT_TRUE(log.ok());
    want = WriteRecords(log->get(), 2000, 100);
    EXPECT_GT((*log)->Segments().size(), 40u);
  }
  RecoveryInfo info;
  auto log = OpenCollect(Opts(tmp.Sub("wal")), &got, &info);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(got, want);
  EXPECT_EQ(info.segments, (*log)->Segments().size());
  // Names carry consecutive sequence numbers and the caller's indexes.
  const auto& segs = (*log)->Segments();
  for (size_t i = 0; i < segs.size(); ++i) {
    EXPECT_EQ(segs[i].seq, i);
    EXPECT_EQ(segs[i].name, SegmentFileName(segs[i].seq, segs[i].first_index));
  }
  // Non-tail segments were trimmed to their data.
  struct stat st;
  ASSERT_EQ(::stat((tmp.Sub("wal") + "/" + segs[0].name).c_str(), &st), 0);
  EXPECT_LT(static_cast<uint64_t>(st.st_size), 4096u + 200);
}

TEST(RecordLogTest, RecordLargerThanSegment) {
  TempDir tmp;
  std::vector<Rec> got;
  std::string big(20000, 'b');
  {
    auto log = OpenCollect(Opts(tmp.Sub("wal")), &got);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append(1, big).ok());
    ASSERT_TRUE((*log)->Sync().ok());
    EXPECT_TRUE((*log)->ShouldCut());
    ASSERT_TRUE((*log)->Cut(2).ok());
    ASSERT_TRUE((*log)->Append(1, "after").ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  ASSERT_TRUE(OpenCollect(Opts(tmp.Sub("wal")), &got).ok());
  EXPECT_EQ(got, (std::vector<Rec>{{1, big}, {1, "after"}}));
}

void WriteFileBytes(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  ::close(fd);
}

// Rewrites the file's bytes from `from` on: truncated away (truncate) or
// zeroed up to the old size (as preallocated space reads after a crash).
void TearAt(const std::string& path, uint64_t from, bool truncate) {
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok());
  std::string d = *data;
  if (truncate) {
    d.resize(from);
  } else {
    std::fill(d.begin() + static_cast<std::ptrdiff_t>(from), d.end(), '\0');
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, d.data(), d.size()), static_cast<ssize_t>(d.size()));
  ::close(fd);
}

TEST(RecordLogTest, TornTailAtEveryByteOfTheLastRecord) {
  for (bool truncate : {true, false}) {
    TempDir tmp;
    std::string dir = tmp.Sub("wal");
    std::vector<Rec> want;
    uint64_t last_off = 0;
    std::string seg;
    {
      std::vector<Rec> got;
      auto log = OpenCollect(Opts(dir, 1 << 16), &got);
      ASSERT_TRUE(log.ok());
      want = WriteRecords(log->get(), 20, 40);
      seg = dir + "/" + (*log)->Segments().back().name;
      last_off = (*log)->TailBytes() - (kRecordHeaderSize + 40);
    }
    auto original = ReadFile(seg);
    ASSERT_TRUE(original.ok());
    want.pop_back();
    for (uint64_t k = 0; k < kRecordHeaderSize + 40; ++k) {
      SCOPED_TRACE("truncate " + std::to_string(truncate) + " k " +
                   std::to_string(k));
      // Restore, then tear the last record after its k-th byte.
      {
        int fd = ::open(seg.c_str(), O_WRONLY | O_TRUNC);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::write(fd, original->data(), original->size()),
                  static_cast<ssize_t>(original->size()));
        ::close(fd);
      }
      TearAt(seg, last_off + k, truncate);
      std::vector<Rec> got;
      RecoveryInfo info;
      auto log = OpenCollect(Opts(dir, 1 << 16), &got, &info);
      ASSERT_TRUE(log.ok()) << log.status();
      EXPECT_EQ(got, want);
      EXPECT_EQ(info.torn_tail, k > 0);
      // The log stays appendable, and the torn bytes do not come back
      // (checked at a few offsets: each check costs several fsyncs).
      if (k % 16 != 1) continue;
      ASSERT_TRUE((*log)->Append(9, "fresh").ok());
      ASSERT_TRUE((*log)->Sync().ok());
      log->reset();
      ASSERT_TRUE(OpenCollect(Opts(dir, 1 << 16), &got).ok());
      ASSERT_EQ(got.size(), want.size() + 1);
      EXPECT_EQ(got.back(), (Rec{9, "fresh"}));
    }
  }
}

TEST(RecordLogTest, CorruptByteInMiddleRecordIsRefused) {
  TempDir tmp;
  std::string dir = tmp.Sub("wal");
  std::string seg;
  {
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir, 1 << 16), &got);
    ASSERT_TRUE(log.ok());
    WriteRecords(log->get(), 10, 50);
    seg = (*log)->Segments().back().name;
  }
  std::string path = dir + "/" + seg;
  auto original = ReadFile(path);
  ASSERT_TRUE(original.ok());
  const uint64_t rec_size = kRecordHeaderSize + 50;
  const uint64_t third = kSegmentHeaderSize + 3 * rec_size;
  // Flip each byte of the 4th record in turn (length, crc, type, payload).
  for (uint64_t k = 0; k < rec_size; ++k) {
    SCOPED_TRACE("byte " + std::to_string(k));
    std::string d = *original;
    d[third + k] = static_cast<char>(d[third + k] ^ 0x40);
    int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
    ASSERT_EQ(::write(fd, d.data(), d.size()), static_cast<ssize_t>(d.size()));
    ::close(fd);
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir, 1 << 16), &got);
    ASSERT_FALSE(log.ok());
    EXPECT_EQ(log.status().code(), base::StatusCode::kDataLoss);
    const std::string& m = log.status().message();
    EXPECT_NE(m.find(seg), std::string::npos) << m;
    EXPECT_NE(m.find("at offset " + std::to_string(third)), std::string::npos)
        << m;
  }
}

TEST(RecordLogTest, CorruptRecordInOlderSegmentIsRefused) {
  TempDir tmp;
  std::string dir = tmp.Sub("wal");
  std::string first;
  {
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir), &got);
    ASSERT_TRUE(log.ok());
    WriteRecords(log->get(), 200, 100);
    first = (*log)->Segments().front().name;
  }
  // Zero the last record of the first segment: only the newest segment may
  // end torn.
  auto data = ReadFile(dir + "/" + first);
  ASSERT_TRUE(data.ok());
  TearAt(dir + "/" + first, data->size() - 20, /*truncate=*/false);
  std::vector<Rec> got;
  auto log = OpenCollect(Opts(dir), &got);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find(first), std::string::npos)
      << log.status();
}

TEST(RecordLogTest, OlderSegmentCutAtRecordBoundaryIsRefused) {
  TempDir tmp;
  std::string dir = tmp.Sub("wal");
  std::string first;
  {
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir), &got);
    ASSERT_TRUE(log.ok());
    WriteRecords(log->get(), 200, 100);
    first = dir + "/" + (*log)->Segments().front().name;
  }
  // Drop the first segment's last record exactly: a clean-looking end.
  auto data = ReadFile(first);
  ASSERT_TRUE(data.ok());
  for (bool truncate : {true, false}) {
    WriteFileBytes(first, *data);
    TearAt(first, data->size() - (kRecordHeaderSize + 100), truncate);
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir), &got);
    ASSERT_FALSE(log.ok());
    EXPECT_NE(log.status().message().find("its tail was lost"),
              std::string::npos)
        << log.status();
  }
}

TEST(RecordLogTest, ZeroedPreallocatedTailIsClean) {
  TempDir tmp;
  std::string dir = tmp.Sub("wal");
  {
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir, 1 << 20), &got);
    ASSERT_TRUE(log.ok());
    WriteRecords(log->get(), 5, 10);
  }
  struct stat st;
  auto files = SegmentFiles(dir);
  ASSERT_EQ(files.size(), 1u);
  ASSERT_EQ(::stat((dir + "/" + files[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 1 << 20);  // Preallocated.
  std::vector<Rec> got;
  RecoveryInfo info;
  ASSERT_TRUE(OpenCollect(Opts(dir, 1 << 20), &got, &info).ok());
  EXPECT_EQ(got.size(), 5u);
  EXPECT_FALSE(info.torn_tail);
}

TEST(RecordLogTest, GarbageAfterZeroHeaderInLastSegmentIsTorn) {
  // A batch whose first sector never reached the disk, while a later one
  // did: the records after the hole were never synced, so they are dropped.
  TempDir tmp;
  std::string dir = tmp.Sub("wal");
  std::string path;
  uint64_t end = 0;
  {
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir, 1 << 16), &got);
    ASSERT_TRUE(log.ok());
    WriteRecords(log->get(), 3, 10);
    end = (*log)->TailBytes();
    WriteRecords(log->get(), 40, 100, 3);
    path = dir + "/" + (*log)->Segments().back().name;
  }
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok());
  std::string d = *data;
  uint64_t hole_end = (end + 1024) / 512 * 512;
  std::fill(d.begin() + static_cast<std::ptrdiff_t>(end),
            d.begin() + static_cast<std::ptrdiff_t>(hole_end), '\0');
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  ASSERT_EQ(::write(fd, d.data(), d.size()), static_cast<ssize_t>(d.size()));
  ::close(fd);
  std::vector<Rec> got;
  RecoveryInfo info;
  auto log = OpenCollect(Opts(dir, 1 << 16), &got, &info);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(got.size(), 3u);
  EXPECT_TRUE(info.torn_tail);
  EXPECT_EQ(info.torn_offset, end);
}

TEST(RecordLogTest, LeftoverTempSegmentIsRemoved) {
  TempDir tmp;
  std::string dir = tmp.Sub("wal");
  {
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir), &got);
    ASSERT_TRUE(log.ok());
    WriteRecords(log->get(), 3, 10);
  }
  std::string tmp_name = dir + "/" + SegmentFileName(1, 7) + ".tmp";
  int fd = ::open(tmp_name.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "junk", 4), 4);
  ::close(fd);
  std::vector<Rec> got;
  RecoveryInfo info;
  ASSERT_TRUE(OpenCollect(Opts(dir), &got, &info).ok());
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(info.removed_temp_files, 1u);
  EXPECT_EQ(SegmentFiles(dir).size(), 1u);
}

TEST(RecordLogTest, MissingSegmentIsRefused) {
  TempDir tmp;
  std::string dir = tmp.Sub("wal");
  std::string second;
  {
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir), &got);
    ASSERT_TRUE(log.ok());
    WriteRecords(log->get(), 200, 100);
    ASSERT_GE((*log)->Segments().size(), 3u);
    second = (*log)->Segments()[1].name;
  }
  ASSERT_EQ(::unlink((dir + "/" + second).c_str()), 0);
  std::vector<Rec> got;
  auto log = OpenCollect(Opts(dir), &got);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("missing segment"), std::string::npos);
}

TEST(RecordLogTest, ReleaseToRemovesWhollyOlderSegments) {
  TempDir tmp;
  std::string dir = tmp.Sub("wal");
  std::vector<Rec> got;
  auto log = OpenCollect(Opts(dir), &got);
  ASSERT_TRUE(log.ok());
  // Record i is "index" i + 1; segment names carry the next index.
  WriteRecords(log->get(), 500, 100);
  std::vector<SegmentInfo> before = (*log)->Segments();
  ASSERT_GE(before.size(), 5u);
  uint64_t index = before[3].first_index + 1;
  ASSERT_TRUE((*log)->ReleaseTo(index).ok());
  const auto& after = (*log)->Segments();
  ASSERT_EQ(after.size(), before.size() - 3);
  EXPECT_EQ(after.front().name, before[3].name);
  EXPECT_EQ(SegmentFiles(dir).size(), after.size());
  // Releasing everything keeps the tail.
  ASSERT_TRUE((*log)->ReleaseTo(UINT64_MAX).ok());
  EXPECT_EQ((*log)->Segments().size(), 1u);
  log->reset();
  // The rest still recovers: records from segment 3 on.
  ASSERT_TRUE(OpenCollect(Opts(dir), &got).ok());
  EXPECT_FALSE(got.empty());
}

TEST(RecordLogTest, FailedSyncIsSticky) {
  TempDir tmp;
  int fail_errno = 0;
  RecordLogOptions o = Opts(tmp.Sub("wal"));
  o.fault_hook = [&fail_errno](std::string_view op, std::string_view) {
    return op == "fdatasync" ? fail_errno : 0;
  };
  std::vector<Rec> got;
  auto log = OpenCollect(o, &got);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(1, "a").ok());
  ASSERT_TRUE((*log)->Sync().ok());
  fail_errno = EIO;
  ASSERT_TRUE((*log)->Append(1, "b").ok());
  base::Status s = (*log)->Sync();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("fdatasync"), std::string::npos) << s;
  // Even once the disk "recovers", the log refuses to continue.
  fail_errno = 0;
  EXPECT_EQ((*log)->Append(1, "c"), s);
  EXPECT_EQ((*log)->Sync(), s);
  EXPECT_EQ((*log)->Cut(5), s);
  EXPECT_EQ((*log)->failed(), s);
}

TEST(RecordLogTest, DiskFullIsResourceExhaustedAndSticky) {
  TempDir tmp;
  bool full = false;
  RecordLogOptions o = Opts(tmp.Sub("wal"));
  o.fault_hook = [&full](std::string_view op, std::string_view) {
    return full && (op == "write" || op == "fallocate") ? ENOSPC : 0;
  };
  std::vector<Rec> got;
  auto log = OpenCollect(o, &got);
  ASSERT_TRUE(log.ok());
  full = true;
  ASSERT_TRUE((*log)->Append(1, "x").ok());
  base::Status s = (*log)->Sync();
  EXPECT_EQ(s.code(), base::StatusCode::kResourceExhausted) << s;
  full = false;
  EXPECT_EQ((*log)->Sync(), s);
}

TEST(RecordLogTest, RealDiskFullFromFileSizeLimit) {
  // A child process with RLIMIT_FSIZE below the segment size: creating the
  // first segment fails with EFBIG, reported as a Status, not a crash.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    TempDir tmp;
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {1 << 16, 1 << 16};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(tmp.Sub("wal"), 1 << 20), &got);
    _exit(!log.ok() &&
                  log.status().message().find("fallocate") != std::string::npos
              ? 0
              : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// Random damage anywhere in a log (random bytes overwritten, zeroed runs,
// truncations): Open either refuses with DATA_LOSS or returns a prefix of
// what was written, never something else, and never crashes.
TEST(RecordLogTest, RandomDamageGivesPrefixOrRefusal) {
  const uint32_t seed = testutil::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  std::vector<Rec> written;
  {
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir, 8192), &got);
    ASSERT_TRUE(log.ok());
    for (size_t i = 0; i < 300; ++i) {
      Rec r{static_cast<uint8_t>(1 + rng() % 200), Payload(i, rng() % 150)};
      ASSERT_TRUE((*log)->Append(r.type, r.payload).ok());
      written.push_back(r);
      if ((*log)->ShouldCut()) {
        ASSERT_TRUE((*log)->Cut(i + 1).ok());
      }
    }
    ASSERT_TRUE((*log)->Sync().ok());
  }
  std::vector<std::pair<std::string, std::string>> originals;
  for (const std::string& name : SegmentFiles(dir)) {
    originals.emplace_back(dir + "/" + name, *ReadFile(dir + "/" + name));
  }
  int refused = 0;
  for (int round = 0; round < 100; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    for (const auto& [path, data] : originals) {
      WriteFileBytes(path, data);
    }
    const auto& [path, data] = originals[rng() % originals.size()];
    std::string d = data;
    size_t at = rng() % d.size();
    switch (rng() % 3) {
      case 0:
        for (size_t k = 0; k < 1 + rng() % 4 && at + k < d.size(); ++k) {
          d[at + k] = static_cast<char>(rng());
        }
        break;
      case 1:
        std::fill(d.begin() + static_cast<std::ptrdiff_t>(at),
                  d.begin() + static_cast<std::ptrdiff_t>(
                                  std::min(d.size(), at + rng() % 1024)),
                  '\0');
        break;
      default:
        d.resize(at);
        break;
    }
    WriteFileBytes(path, d);
    std::vector<Rec> got;
    auto log = OpenCollect(Opts(dir, 8192), &got);
    if (!log.ok()) {
      EXPECT_EQ(log.status().code(), base::StatusCode::kDataLoss)
          << log.status();
      ++refused;
      continue;
    }
    ASSERT_LE(got.size(), written.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], written[i]);
  }
  std::printf("%d of 100 damaged logs refused\n", refused);
}

}  // namespace
}  // namespace server::wal
