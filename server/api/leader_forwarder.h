#pragma once

// LeaderForwarder: runs a request only the leader can answer (a
// cairnpb.LeaderRequest: lease keep-alives, time-to-live queries and lists,
// member promotion) on the leader, wherever it is.
//
//   Run(request) ──this member leads──> the handler of its kind, here
//        │
//        └─follower──> forward to node.leader() on a peer request stream
//                      (docs/peer-protocol.md, "Request streams"); the
//                      leader's Serve runs the handler and answers
//
// The handler of a request kind is set by the service that owns it
// (SetHandler). A handler answers ErrNotPrimary() when this member cannot
// answer for the leader now (not the leader any more, or not ready yet, as
// etcd's ErrNotPrimary / ErrNotLeader): without a leader, on ErrNotPrimary
// or when the leader cannot be reached, the request waits and is tried
// again every kRetryMs until the request timeout: then ErrNoLeader()
// without a leader, else ErrTimeout(). Any other answer of the leader,
// error or response, is the request's.
//
// Thread safety: loop thread only.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "cairnpb/internal.pb.h"
#include "server/net/handle.h"
#include "server/node/node.h"

namespace server::api {

// "etcdserver: not the primary": ask the leader again (never reaches a
// client).
base::Status ErrNotPrimary();

class LeaderForwarder {
 public:
  static constexpr uint64_t kRetryMs = 100;

  // Sends a serialized LeaderRequest to member `to`; `done` gets the
  // serialized LeaderResponse, or the transport's error.
  using ForwardFn =
      std::function<void(uint64_t to, std::string request,
                         std::function<void(base::Result<std::string>)> done)>;
  // The answer to a request: OK with the response, or an error.
  using Answer =
      std::function<void(const base::Status&, cairnpb::LeaderResponse)>;
  // Answers `request` on this member.
  using Handler = std::function<void(const cairnpb::LeaderRequest&, Answer)>;

  // `request_timeout_ms` bounds how long a request waits for a leader
  // (etcd's ReqTimeout). `node` must outlive the forwarder.
  LeaderForwarder(uv_loop_t* loop, Node* node, uint64_t request_timeout_ms);
  LeaderForwarder(const LeaderForwarder&) = delete;
  LeaderForwarder& operator=(const LeaderForwarder&) = delete;

  // How a follower reaches the leader. Until set, requests on a follower
  // wait for a leadership of this member and time out.
  void SetForward(ForwardFn forward) { forward_ = std::move(forward); }
  // Who answers requests of kind `kind` on this member; it must outlive
  // the forwarder's calls. Requests of a kind without one are refused
  // ("etcdserver: bad request").
  void SetHandler(cairnpb::LeaderRequest::RequestCase kind, Handler handler);

  base::Status Start();
  // Closes the retry timer; requests waiting to be retried are dropped
  // without an answer.
  void Stop();

  // Runs `request` on the leader, retrying until the request timeout.
  void Run(cairnpb::LeaderRequest request, Answer done);
  // Runs `request` on this member's handler.
  void ServeLocal(const cairnpb::LeaderRequest& request, Answer done);
  // The leader's side: a serialized LeaderRequest from a peer; `reply`
  // gets the serialized LeaderResponse.
  void Serve(const std::string& request,
             std::function<void(std::string)> reply);

 private:
  struct Op {
    cairnpb::LeaderRequest request;
    Answer done;
    uint64_t deadline_ms = 0;
  };

  static void OnRetryTimer(uv_timer_t* t);
  void Attempt(std::shared_ptr<Op> op);
  void Retry(std::shared_ptr<Op> op);

  uv_loop_t* const loop_;
  Node* const node_;
  const uint64_t request_timeout_ms_;
  ForwardFn forward_;
  std::map<int, Handler> handlers_;  // By LeaderRequest::RequestCase.
  net::UvHandle<uv_timer_t> retry_timer_;
  std::vector<std::shared_ptr<Op>> retry_;
};

}  // namespace server::api
