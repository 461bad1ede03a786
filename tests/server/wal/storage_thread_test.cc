#include "server/wal/storage_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

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
