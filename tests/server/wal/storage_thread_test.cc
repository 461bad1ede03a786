#include "server/wal/storage_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "server/wal/wal.h"
#include "tests/server/wal/test_util.h"

namespace server::wal {
namespace {

TEST(StorageThreadTest, JobsRunInOrderOffTheCallerAndCompletionsOnDrain) {
  std::atomic<int> notified{0};
  StorageThread st("test-storage", [&notified] { notified.fetch_add(1); });
  const std::thread::id me = std::this_thread::get_id();
  std::vector<int> ran;       // Written by the storage thread only.
  std::vector<int> finished;  // Written by this thread only.
  std::atomic<bool> off_thread{true};
  for (int i = 0; i < 100; ++i) {
    st.Submit([&, i]() -> StorageThread::Completion {
      if (std::this_thread::get_id() == me) off_thread = false;
      ran.push_back(i);
      if (i % 2 == 1) return nullptr;  // No completion for odd jobs.
      return [&finished, &me, i] {
        EXPECT_EQ(std::this_thread::get_id(), me);
        finished.push_back(i);
      };
    });
  }
  st.Stop();  // Finishes every queued job first.
  EXPECT_TRUE(off_thread);
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[static_cast<size_t>(i)], i);
  EXPECT_EQ(notified.load(), 50);
  EXPECT_TRUE(finished.empty());  // Nothing runs until drained.
  EXPECT_EQ(st.QueuedCompletions(), 50u);
  EXPECT_EQ(st.DrainCompletions(), 50u);
  ASSERT_EQ(finished.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(finished[static_cast<size_t>(i)], 2 * i);
  }
  EXPECT_EQ(st.DrainCompletions(), 0u);
}

TEST(StorageThreadTest, NotifyWakesAnOwnerThatDrains) {
  std::mutex mu;
  std::condition_variable cv;
  bool wake = false;
  StorageThread st("test-storage", [&] {
    std::lock_guard<std::mutex> lock(mu);
    wake = true;
    cv.notify_one();
  });
  int total = 0;
  int done = 0;
  for (int round = 0; round < 20; ++round) {
    st.Submit([&total, round] {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      return [&total, round] { total += round; };
    });
  }
  while (done < 20) {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(10), [&] { return wake; }));
    wake = false;
    lock.unlock();
    done += static_cast<int>(st.DrainCompletions());
  }
  EXPECT_EQ(total, 190);
  EXPECT_EQ(st.PendingJobs(), 0u);
}

TEST(StorageThreadTest, StopIsIdempotentAndDestructorStops) {
  auto st = std::make_unique<StorageThread>("t", nullptr);
  std::atomic<int> n{0};
  st->Submit([&n] {
    n.fetch_add(1);
    return StorageThread::Completion();
  });
  st->Stop();
  st->Stop();
  EXPECT_EQ(n.load(), 1);
  st.reset();
}

}  // namespace
}  // namespace server::wal

namespace server::wal {
namespace {

// The node driver's use, in miniature: the loop thread hands each Ready's
// entries and hard state to the storage thread, which saves and syncs them
// (one fdatasync per batch); the completion, run back on the loop thread,
// sees the batch durable and in order.
TEST(StorageThreadTest, WalBatchesAreDurableWhenTheirCompletionRuns) {
  testutil::TempDir tmp;
  WalOptions o;
  o.dir = tmp.Sub("wal");
  o.segment_bytes = 8192;
  WalContents c;
  auto opened = Wal::Open(o, &c);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Wal> wal = std::move(opened).value();
  StorageThread st("wal", nullptr);
  uint64_t durable = 0;  // Loop-thread state, touched by completions only.
  uint64_t next = 1;
  for (int batch = 0; batch < 50; ++batch) {
    std::vector<raftpb::Entry> ents;
    for (int k = 0; k < 1 + batch % 7; ++k) {
      raftpb::Entry e;
      e.index = next++;
      e.term = 1;
      e.data = std::string(64, 'e');
      ents.push_back(std::move(e));
    }
    raftpb::HardState hs{1, 1, ents.front().index - 1};
    st.Submit([w = wal.get(), hs, ents = std::move(ents), &durable]() {
      base::Status s = w->Save(hs, ents);
      if (s.ok()) s = w->Sync();
      uint64_t last = ents.back().index;
      return [s, last, &durable] {
        ASSERT_TRUE(s.ok()) << s;
        EXPECT_LT(durable, last);
        durable = last;
      };
    });
  }
  st.Stop();
  st.DrainCompletions();
  EXPECT_EQ(durable, next - 1);
  wal.reset();
  ASSERT_TRUE(Wal::Open(o, &c).ok());
  ASSERT_TRUE(c.StartAt({}).ok());
  ASSERT_EQ(c.entries.size(), next - 1);
  EXPECT_EQ(c.entries.back().index, next - 1);
}

}  // namespace
}  // namespace server::wal
