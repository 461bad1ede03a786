// Crash test: a child process appends and syncs records in a loop, reporting
// each synced sequence number through a pipe; the parent SIGKILLs it at a
// random moment, reopens the log and checks that every reported record is
// there, in order, intact. Repeated over several rounds on the same log, so
// recovery of one crash is followed by more writes and another crash.
//
// SIGKILL loses no page cache: this checks the process-crash contract
// (synced records survive, recovery accepts whatever the kill left), not
// power loss; the torn-tail tests in record_log_test.cc cover the latter.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "server/wal/record_log.h"
#include "tests/server/wal/test_util.h"

namespace server::wal {
namespace {

RecordLogOptions Opts(const std::string& dir) {
  RecordLogOptions o;
  o.dir = dir;
  o.segment_bytes = 32 << 10;  // Many rollovers.
  return o;
}

// Payload of record `seq`: its number, then filler derived from it.
std::string MakePayload(uint64_t seq) {
  std::string p(8, '\0');
  std::memcpy(p.data(), &seq, 8);
  p.append(seq % 300, static_cast<char>('a' + seq % 26));
  return p;
}

// Opens the log and checks records 0..n-1 are there in order; returns n.
uint64_t RecoverAndCheck(const std::string& dir, std::string* error) {
  uint64_t next = 0;
  auto log = RecordLog::Open(Opts(dir), [&](const RecordView& r) {
    uint64_t seq = 0;
    if (r.payload.size() >= 8) std::memcpy(&seq, r.payload.data(), 8);
    if (seq != next || r.payload != MakePayload(seq)) {
      return base::Status::DataLoss("record " + std::to_string(next) +
                                    " is wrong (holds " + std::to_string(seq) +
                                    ")");
    }
    ++next;
    return base::Status::OK();
  });
  if (!log.ok()) *error = log.status().ToString();
  return next;
}

[[noreturn]] void ChildLoop(const std::string& dir, int report_fd,
                            uint32_t seed) {
  std::string error;
  uint64_t seq = RecoverAndCheck(dir, &error);
  if (!error.empty()) _exit(3);
  auto log = RecordLog::Open(
      Opts(dir), [](const RecordView&) { return base::Status::OK(); });
  if (!log.ok()) _exit(4);
  std::mt19937 rng(seed);
  for (;;) {
    int batch = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < batch; ++i) {
      if (!(*log)->Append(1, MakePayload(seq)).ok()) _exit(5);
      ++seq;
      if ((*log)->ShouldCut() && !(*log)->Cut(seq).ok()) _exit(6);
    }
    if (!(*log)->Sync().ok()) _exit(7);
    uint64_t synced = seq;  // Records [0, synced) are durable.
    if (::write(report_fd, &synced, 8) != 8) _exit(8);
  }
}

TEST(WalCrashTest, SyncedRecordsSurviveSigkill) {
  const uint32_t seed = testutil::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  testutil::TempDir tmp;
  const std::string dir = tmp.Sub("wal");
  uint64_t max_reported = 0;
  for (int round = 0; round < 8; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    uint32_t child_seed = static_cast<uint32_t>(rng());
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      ChildLoop(dir, fds[1], child_seed);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(
        std::chrono::microseconds(2000 + rng() % 60000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "child exited early with code " << WEXITSTATUS(status);
    uint64_t v;
    while (::read(fds[0], &v, 8) == 8) max_reported = std::max(max_reported, v);
    ::close(fds[0]);
    std::string error;
    uint64_t recovered = RecoverAndCheck(dir, &error);
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_GE(recovered, max_reported);
    std::printf("round %d: %llu records recovered, %llu reported synced\n",
                round, static_cast<unsigned long long>(recovered),
                static_cast<unsigned long long>(max_reported));
  }
  EXPECT_GT(max_reported, 0u);
}

}  // namespace
}  // namespace server::wal
