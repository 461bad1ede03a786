#pragma once

// StorageThread: one dedicated thread running blocking disk work (WAL appends
// and fdatasync, snapshot writes) in FIFO order, off the event loop. This is
// redis' bio.c pattern: each kind of job is bound to one worker, so jobs run
// strictly in submission order and never concurrently with each other.
//
// A job runs on the storage thread and returns an optional completion. The
// completion is NOT run there: it is queued on a completion queue, `notify`
// is called (from the storage thread), and the owner runs completions, in
// job order, by calling DrainCompletions() on its own thread. The server
// passes uv_async_send as `notify` and drains from the uv_async callback, so
// completions run on the loop thread and may touch loop-owned state. This
// header does not depend on libuv.
//
//   StorageThread st("wal", [&] { uv_async_send(&async); });
//   st.Submit([&wal, batch] {
//     base::Status s = wal.Save(batch.hs, batch.entries);
//     if (s.ok()) s = wal.Sync();
//     return [s, batch] { OnDurable(s, batch); };  // Runs on the loop.
//   });
//
// Thread safety: Submit(), DrainCompletions(), PendingJobs() and
// QueuedCompletions() may be called from any thread, concurrently.
// DrainCompletions() should be called by one owner thread at a time (it runs
// user code; two concurrent drainers would run completions out of order).
// Stop() and the destructor must not be called from a job or completion.
// Objects a job touches (e.g. the Wal) belong to the storage thread while
// jobs referring to them are queued: the owner must not use them
// concurrently.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace server::wal {

class StorageThread {
 public:
  // Runs on the owner thread when drained; may be empty (nothing to run).
  using Completion = std::function<void()>;
  // Runs on the storage thread.
  using Job = std::function<Completion()>;

  // Starts the thread. `name` is used for the thread name (15 chars max
  // shown). `notify` is called on the storage thread after each completion
  // is queued; it must be thread-safe and must not block (uv_async_send is
  // both). It may be empty if the owner polls.
  StorageThread(std::string name, std::function<void()> notify);
  StorageThread(const StorageThread&) = delete;
  StorageThread& operator=(const StorageThread&) = delete;
  // Stop().
  ~StorageThread();

  // Queues a job behind every job submitted before it. REQUIRES: not
  // stopped (a CHECK aborts otherwise).
  void Submit(Job job);

  // Runs every queued completion, oldest first, on the calling thread, and
  // returns how many ran. Completions queued while draining run too.
  size_t DrainCompletions();

  // Jobs submitted and not yet finished (queued or running).
  size_t PendingJobs() const;
  // Completions waiting for DrainCompletions().
  size_t QueuedCompletions() const;

  // Runs every queued job to completion, then joins the thread. Completions
  // stay queued: drain them afterwards. Idempotent.
  void Stop();

 private:
  void Run();

  const std::string name_;
  const std::function<void()> notify_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;                // Guarded by mu_.
  size_t running_ = 0;                  // Guarded by mu_ (0 or 1).
  bool stopping_ = false;               // Guarded by mu_.
  std::deque<Completion> completions_;  // Guarded by mu_.
  std::thread thread_;
};

}  // namespace server::wal
