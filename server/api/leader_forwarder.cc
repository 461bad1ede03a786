#include "server/api/leader_forwarder.h"

#include <string>
#include <utility>
#include <vector>

#include "server/net/uv_status.h"

namespace server::api {

base::Status ErrNotPrimary() {
  return base::Status::Unavailable("etcdserver: not the primary");
}

LeaderForwarder::LeaderForwarder(uv_loop_t* loop, Node* node,
                                 uint64_t request_timeout_ms)
    : loop_(loop), node_(node), request_timeout_ms_(request_timeout_ms) {}

void LeaderForwarder::SetHandler(cairnpb::LeaderRequest::RequestCase kind,
                                 Handler handler) {
  handlers_[static_cast<int>(kind)] = std::move(handler);
}

base::Status LeaderForwarder::Start() {
  int rc = uv_timer_init(loop_, retry_timer_.get());
  if (rc < 0) return net::UvStatus(rc, "forward timer");
  retry_timer_.MarkInitialized();
  retry_timer_->data = this;
  return base::Status::OK();
}

void LeaderForwarder::Stop() {
  retry_timer_.Close();
  retry_.clear();
}

void LeaderForwarder::ServeLocal(const cairnpb::LeaderRequest& request,
                                 Answer done) {
  auto it = handlers_.find(static_cast<int>(request.request_case()));
  if (it == handlers_.end()) {
    return done(base::Status::InvalidArgument("etcdserver: bad request"), {});
  }
  it->second(request, std::move(done));
}

void LeaderForwarder::Serve(const std::string& bytes,
                            std::function<void(std::string)> reply) {
  cairnpb::LeaderRequest request;
  auto answer = [reply = std::move(reply)](const base::Status& s,
                                           cairnpb::LeaderResponse r) {
    if (!s.ok()) {
      r.Clear();
      r.set_code(static_cast<int32_t>(s.code()));
      r.set_message(s.message());
    }
    reply(r.SerializeAsString());
  };
  if (!request.ParseFromString(bytes)) {
    return answer(base::Status::InvalidArgument("etcdserver: bad request"), {});
  }
  ServeLocal(request, std::move(answer));
}

void LeaderForwarder::Run(cairnpb::LeaderRequest request, Answer done) {
  auto op = std::make_shared<Op>();
  op->request = std::move(request);
  op->done = std::move(done);
  op->deadline_ms = uv_now(loop_) + request_timeout_ms_;
  Attempt(std::move(op));
}

void LeaderForwarder::Attempt(std::shared_ptr<Op> op) {
  if (uv_now(loop_) >= op->deadline_ms) {
    return op->done(node_->leader() == 0 ? ErrNoLeader() : ErrTimeout(), {});
  }
  if (node_->is_leader()) {
    return ServeLocal(op->request, [this, op](const base::Status& s,
                                              cairnpb::LeaderResponse r) {
      if (s == ErrNotPrimary()) return Retry(op);
      op->done(s, std::move(r));
    });
  }
  const uint64_t leader = node_->leader();
  if (leader == 0 || !forward_) return Retry(op);
  // The forwarder outlives the transport's callbacks (Member closes the
  // transport first).
  forward_(
      leader, op->request.SerializeAsString(),
      [this, op](base::Result<std::string> bytes) {
        if (!bytes.ok()) return Retry(op);
        cairnpb::LeaderResponse r;
        if (!r.ParseFromString(*bytes)) {
          return op->done(
              base::Status::Internal("etcdserver: bad answer from leader"), {});
        }
        if (r.code() == 0) {
          return op->done(base::Status::OK(), std::move(r));
        }
        base::Status s(static_cast<base::StatusCode>(r.code()), r.message());
        if (s == ErrNotPrimary()) return Retry(op);
        op->done(s, {});
      });
}

void LeaderForwarder::Retry(std::shared_ptr<Op> op) {
  // Not started, or stopped: the request is dropped.
  if (!retry_timer_.initialized() || retry_timer_.closing()) return;
  retry_.push_back(std::move(op));
  if (retry_.size() == 1) {
    uv_timer_start(retry_timer_.get(), &LeaderForwarder::OnRetryTimer, kRetryMs,
                   0);
  }
}

void LeaderForwarder::OnRetryTimer(uv_timer_t* t) {
  auto* self = static_cast<LeaderForwarder*>(t->data);
  if (self == nullptr) return;
  std::vector<std::shared_ptr<Op>> ops = std::move(self->retry_);
  self->retry_.clear();
  for (auto& op : ops) self->Attempt(std::move(op));
}

}  // namespace server::api
