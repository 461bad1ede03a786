#pragma once

// RunOffLoop: runs blocking work (a VACUUM, a database copy, a full-table
// hash) on libuv's thread pool and its continuation back on the loop
// thread. For one-off maintenance jobs only: the pool is shared and
// unordered, so ordered writes go to the node's own threads instead.
//
// If the job cannot be queued, `work` runs on the loop thread at once (the
// answer is late, never lost).

#include <uv.h>

#include <functional>
#include <memory>
#include <utility>

namespace server::api::internal {

template <typename T>
void RunOffLoop(uv_loop_t* loop, std::function<T()> work,
                std::function<void(T)> done) {
  struct Job {
    uv_work_t req;
    std::function<T()> work;
    std::function<void(T)> done;
    T result{};
  };
  auto* job = new Job{{}, std::move(work), std::move(done)};
  job->req.data = job;
  int rc = uv_queue_work(
      loop, &job->req,
      [](uv_work_t* req) {
        auto* j = static_cast<Job*>(req->data);
        j->result = j->work();
      },
      [](uv_work_t* req, int /*status*/) {
        std::unique_ptr<Job> j(static_cast<Job*>(req->data));
        j->done(std::move(j->result));
      });
  if (rc < 0) {
    std::unique_ptr<Job> j(job);
    j->done(j->work());
  }
}

}  // namespace server::api::internal
