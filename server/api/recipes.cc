#include "server/api/recipes.h"

#include <cinttypes>
#include <cstdio>
#include <utility>

namespace server::api {

std::string ContenderKey(const std::string& prefix, int64_t lease) {
  char hex[24];
  if (lease < 0) {
    std::snprintf(hex, sizeof(hex), "-%" PRIx64,
                  static_cast<uint64_t>(-(lease + 1)) + 1);
  } else {
    std::snprintf(hex, sizeof(hex), "%" PRIx64, static_cast<uint64_t>(lease));
  }
  return prefix + hex;
}

void SessionLease(const MemberContext* ctx, int64_t lease,
                  local::Done<int64_t> done) {
  constexpr int64_t kSessionTtl = 60;  // concurrency's default TTL
  if (lease != 0) return done(lease);
  local::LeaseGrant(ctx, kSessionTtl,
                    [done = std::move(done)](
                        base::Result<etcdserverpb::LeaseGrantResponse> r) {
                      if (!r.ok()) return done(r.status());
                      done(r->id());
                    });
}

etcdserverpb::Compare CreateRevisionIs(const std::string& key, int64_t rev) {
  etcdserverpb::Compare c;
  c.set_key(key);
  c.set_target(etcdserverpb::Compare::CREATE);
  c.set_result(etcdserverpb::Compare::EQUAL);
  c.set_create_revision(rev);
  return c;
}

std::shared_ptr<WaitDeletes> WaitDeletes::Start(const MemberContext* ctx,
                                                WatchHub* hub,
                                                std::string prefix,
                                                int64_t max_create_rev,
                                                Done done) {
  auto w = std::make_shared<WaitDeletes>(ctx, hub, std::move(prefix),
                                         max_create_rev, std::move(done));
  w->Look();
  return w;
}

WaitDeletes::WaitDeletes(const MemberContext* ctx, WatchHub* hub,
                         std::string prefix, int64_t max_create_rev, Done done)
    : ctx_(ctx),
      hub_(hub),
      prefix_(std::move(prefix)),
      max_create_rev_(max_create_rev),
      done_(std::move(done)) {}

void WaitDeletes::Cancel() {
  done_ = nullptr;
  watch_.reset();
}

void WaitDeletes::Finish(base::Result<etcdserverpb::ResponseHeader> r) {
  watch_.reset();
  if (!done_) return;
  Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(r));
}

void WaitDeletes::Look() {
  if (!done_) return;
  etcdserverpb::RangeRequest r = local::FirstCreate(prefix_, /*last=*/true);
  r.set_max_create_revision(max_create_rev_);
  std::weak_ptr<WaitDeletes> weak = weak_from_this();
  local::Range(ctx_, r, [weak](base::Result<etcdserverpb::RangeResponse> got) {
    auto self = weak.lock();
    if (!self || !self->done_) return;
    if (!got.ok()) return self->Finish(got.status());
    if (got->kvs_size() == 0) return self->Finish(got->header());
    // Wait for the deletion of the newest earlier key (etcd's waitDelete).
    etcdserverpb::WatchCreateRequest create;
    create.set_key(got->kvs(0).key());
    create.set_start_revision(got->header().revision());
    self->watch_ = std::make_unique<local::Watch>(
        self->ctx_, self->hub_, create,
        [weak](const etcdserverpb::WatchResponse& wr) {
          auto me = weak.lock();
          if (!me || !me->done_) return;
          if (wr.canceled()) {
            return me->Finish(
                base::Status::Unknown("lost watcher waiting for delete"));
          }
          for (const mvccpb::Event& ev : wr.events()) {
            if (ev.type() == mvccpb::Event::DELETE) {
              me->watch_.reset();
              return me->Look();
            }
          }
        });
  });
}

}  // namespace server::api
