#include "server/membership/manager.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "base/log.h"
#include "raft/errors.h"
#include "server/config/ids.h"
#include "server/config/url.h"

namespace server::membership {
namespace {

using Kind = cairnpb::ConfChangeContext;

// Parses and normalizes peer URLs as etcd's types.NewURLs does (sorted);
// ErrBadUrls when one does not parse, names a host other than localhost by
// name (Cairn does not resolve peer host names), or the list is empty.
base::Result<std::vector<std::string>> NormalizeUrls(
    const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const std::string& s : in) {
    auto u = ParseUrl(s);
    if (!u.ok() || (u->host != "localhost" && !IsIpLiteral(u->host))) {
      return ErrBadUrls();
    }
    out.push_back(u->ToString());
  }
  if (out.empty()) return ErrBadUrls();
  std::sort(out.begin(), out.end());
  return out;
}

const char* EffectName(Applied::Effect e) {
  switch (e) {
    case Applied::Effect::kAdded:
      return "added";
    case Applied::Effect::kPromoted:
      return "promoted";
    case Applied::Effect::kUpdated:
      return "updated";
    case Applied::Effect::kPublished:
      return "published";
    case Applied::Effect::kRemoved:
      return "removed";
    case Applied::Effect::kNone:
      break;
  }
  return "unchanged";
}

}  // namespace

Manager::Manager(uv_loop_t* loop, ManagerOptions options)
    : loop_(loop), options_(std::move(options)) {}

Manager::~Manager() = default;

base::Result<std::unique_ptr<Manager>> Manager::Open(uv_loop_t* loop,
                                                     ManagerOptions options,
                                                     kvstore::Store* store) {
  std::unique_ptr<Manager> m(new Manager(loop, std::move(options)));
  m->store_ = store;
  CAIRN_ASSIGN_OR_RETURN(std::optional<cairnpb::Membership> stored,
                         store->Membership());
  if (stored) {
    CAIRN_ASSIGN_OR_RETURN(m->registry_, Registry::FromProto(*stored));
  } else {
    m->registry_ = m->options_.initial;
  }
  m->removed_self_ = m->registry_.IsRemoved(m->options_.self_id);
  return m;
}

NodeOptions::ConfChangeResult Manager::ApplyConfChange(
    uint64_t index, const raftpb::ConfState& cs, raftpb::ConfChange* cc) {
  const uint64_t target = cc->node_id;
  Applied a = registry_.Apply(index, cs, cc);
  NodeOptions::ConfChangeResult result;
  result.outcome.status = a.status;
  if (!a.changed) return result;  // A replay: the store has it already.
  cairnpb::InternalRequest request;
  *request.mutable_membership() = registry_.ToProto();
  result.state_machine_request = request.SerializeAsString();
  if (!a.status.ok()) {
    CAIRN_LOG(kWarn, "membership",
              "configuration change at index %llu for %s ignored: %s",
              static_cast<unsigned long long>(index), FormatId(target).c_str(),
              a.status.message().c_str());
    return result;
  }
  CAIRN_LOG(kInfo, "membership", "member %s %s at index %llu",
            FormatId(a.member.id()).c_str(), EffectName(a.effect),
            static_cast<unsigned long long>(index));
  if (a.member.id() == options_.self_id) {
    if (a.effect == Applied::Effect::kRemoved) {
      removed_self_ = true;
      if (options_.on_removed_self) options_.on_removed_self();
    } else if (a.effect == Applied::Effect::kAdded) {
      MaybePublish();
    }
  } else if (options_.on_change) {
    options_.on_change(a);
  }
  return result;
}

void Manager::OnRestored(uint64_t index) {
  auto stored = store_->Membership();
  if (!stored.ok() || !*stored) {
    CAIRN_LOG(kError, "membership",
              "snapshot at index %llu holds no membership: %s",
              static_cast<unsigned long long>(index),
              stored.ok() ? "absent" : stored.status().ToString().c_str());
    return;
  }
  auto r = Registry::FromProto(**stored);
  if (!r.ok()) {
    CAIRN_LOG(kError, "membership", "%s", r.status().ToString().c_str());
    return;
  }
  Registry old = std::move(registry_);
  registry_ = std::move(r).value();
  // Tell the transport what changed between the two registries.
  if (options_.on_change) {
    for (const cairnpb::Member& m : old.Members()) {
      if (m.id() != options_.self_id && registry_.Find(m.id()) == nullptr) {
        Applied a;
        a.effect = Applied::Effect::kRemoved;
        a.member = m;
        options_.on_change(a);
      }
    }
    for (const cairnpb::Member& m : registry_.Members()) {
      if (m.id() == options_.self_id) continue;
      const cairnpb::Member* before = old.Find(m.id());
      Applied a;
      a.member = m;
      if (before == nullptr) {
        a.effect = Applied::Effect::kAdded;
      } else if (before->SerializeAsString() != m.SerializeAsString()) {
        a.effect = Applied::Effect::kUpdated;
      } else {
        continue;
      }
      options_.on_change(a);
    }
  }
  CAIRN_LOG(kInfo, "membership",
            "membership restored from snapshot at index %llu: %zu members",
            static_cast<unsigned long long>(index), registry_.Members().size());
  if (registry_.IsRemoved(options_.self_id) && !removed_self_) {
    removed_self_ = true;
    if (options_.on_removed_self) options_.on_removed_self();
  }
  MaybePublish();
}

base::Status Manager::Start(Node* node) {
  node_ = node;
  int rc = uv_timer_init(loop_, publish_timer_.get());
  if (rc < 0) {
    return base::Status::Internal(std::string("uv_timer_init: ") +
                                  uv_strerror(rc));
  }
  publish_timer_.MarkInitialized();
  publish_timer_->data = this;
  rc = uv_timer_init(loop_, retry_timer_.get());
  if (rc < 0) {
    return base::Status::Internal(std::string("uv_timer_init: ") +
                                  uv_strerror(rc));
  }
  retry_timer_.MarkInitialized();
  retry_timer_->data = this;
  // Polls often until published; each attempt waits publish_retry_ms.
  uv_timer_start(publish_timer_.get(), &Manager::OnPublishTimer, 0, 50);
  return base::Status::OK();
}

void Manager::Stop() {
  publish_timer_.Close();
  retry_timer_.Close();
  std::vector<Retry> retries = std::move(retries_);
  retries_.clear();
  for (Retry& r : retries) r.done(ErrStopped(), r.member);
}

void Manager::OnRetryTimer(uv_timer_t* h) {
  auto* self = static_cast<Manager*>(h->data);
  std::vector<Retry> retries = std::move(self->retries_);
  self->retries_.clear();
  const uint64_t now = uv_now(self->loop_);
  for (Retry& r : retries) {
    if (now >= r.deadline_ms) {
      r.done(ErrTimeout(), r.member);
      continue;
    }
    self->Propose(r.type, r.kind, r.member, r.deadline_ms - now,
                  std::move(r.done));
  }
}

void Manager::OnPublishTimer(uv_timer_t* h) {
  static_cast<Manager*>(h->data)->MaybePublish();
}

void Manager::MaybePublish() {
  // A joining member has applied nothing until the leader's snapshot
  // arrives: it publishes after that.
  if (node_ == nullptr || publishing_ || removed_self_ ||
      publish_timer_.get() == nullptr || node_->leader() == 0 ||
      node_->applied_index() == 0) {
    return;
  }
  const cairnpb::Member* self = registry_.Find(options_.self_id);
  if (self == nullptr) return;  // Not in the registry yet (joining).
  std::vector<std::string> current(self->client_urls().begin(),
                                   self->client_urls().end());
  if (self->name() == options_.name && current == options_.client_urls) {
    uv_timer_stop(publish_timer_.get());
    return;
  }
  cairnpb::Member m;
  m.set_id(options_.self_id);
  m.set_name(options_.name);
  for (const std::string& u : options_.client_urls) m.add_client_urls(u);
  publishing_ = true;
  Propose(raftpb::kConfChangeUpdateNode, Kind::PUBLISH, m,
          options_.publish_retry_ms,
          [this](const base::Status& s, const cairnpb::Member&) {
            publishing_ = false;
            if (s.ok()) {
              CAIRN_LOG(kInfo, "membership", "published %s (%s) to the cluster",
                        options_.name.c_str(),
                        FormatId(options_.self_id).c_str());
            }
          });
}

void Manager::Propose(raftpb::ConfChangeType type, Kind::Kind kind,
                      const cairnpb::Member& member, uint64_t timeout_ms,
                      MembersCallback done) {
  if (node_ == nullptr) {
    return done(base::Status::Unavailable("etcdserver: server stopped"),
                member);
  }
  if (timeout_ms == 0) timeout_ms = node_->request_timeout_ms();
  const uint64_t deadline = uv_now(loop_) + timeout_ms;
  raftpb::ConfChange cc;
  cc.type = type;
  cc.node_id = member.id();
  cc.context = raftpb::Payload(EncodeContext(kind, member));
  node_->ProposeConfChange(
      std::move(cc),
      [this, type, kind, member, deadline, done = std::move(done)](Outcome o) {
        // Raft takes one change at a time; a member's publish may be
        // pending (etcd's publish is no configuration change, so its
        // members never see this): wait for it.
        if (raft::IsProposalDroppedConfChange(o.status) &&
            o.status.message().find("possible unapplied conf change") !=
                std::string::npos &&
            retry_timer_.get() != nullptr) {
          retries_.push_back(Retry{type, kind, member, deadline, done});
          uv_timer_start(retry_timer_.get(), &Manager::OnRetryTimer, 20, 0);
          return;
        }
        const cairnpb::Member* now = registry_.Find(member.id());
        done(o.status, now != nullptr ? *now : member);
      },
      timeout_ms);
}

void Manager::Add(const std::vector<std::string>& peer_urls, bool is_learner,
                  uint64_t timeout_ms, MembersCallback done) {
  auto urls = NormalizeUrls(peer_urls);
  if (!urls.ok()) return done(urls.status(), {});
  base::Status s =
      registry_.CheckAdd(*urls, is_learner, options_.strict_reconfig_check);
  if (!s.ok()) return done(s, {});
  // etcd: the ID hashes the peer URLs and the time; a clash with a
  // current or removed ID takes the next second's.
  std::vector<Url> parsed;
  for (const std::string& u : *urls) parsed.push_back(*ParseUrl(u));
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  uint64_t id = 0;
  for (int64_t t = now;
       id == 0 || registry_.Find(id) != nullptr || registry_.IsRemoved(id);
       ++t) {
    id = ComputeMemberId(parsed, std::to_string(t));
  }
  cairnpb::Member m;
  m.set_id(id);
  for (const std::string& u : *urls) m.add_peer_urls(u);
  m.set_is_learner(is_learner);
  Propose(is_learner ? raftpb::kConfChangeAddLearnerNode
                     : raftpb::kConfChangeAddNode,
          Kind::ADD, m, timeout_ms, std::move(done));
}

void Manager::Remove(uint64_t id, uint64_t timeout_ms, MembersCallback done) {
  base::Status s = registry_.CheckRemove(id, options_.strict_reconfig_check);
  if (!s.ok()) return done(s, {});
  cairnpb::Member m;
  m.set_id(id);
  Propose(raftpb::kConfChangeRemoveNode, Kind::REMOVE, m, timeout_ms,
          std::move(done));
}

void Manager::Update(uint64_t id, const std::vector<std::string>& peer_urls,
                     uint64_t timeout_ms, MembersCallback done) {
  auto urls = NormalizeUrls(peer_urls);
  if (!urls.ok()) return done(urls.status(), {});
  base::Status s = registry_.CheckUpdate(id, *urls);
  if (!s.ok()) return done(s, {});
  cairnpb::Member m;
  m.set_id(id);
  for (const std::string& u : *urls) m.add_peer_urls(u);
  Propose(raftpb::kConfChangeUpdateNode, Kind::UPDATE, m, timeout_ms,
          std::move(done));
}

void Manager::Promote(uint64_t id, uint64_t timeout_ms, MembersCallback done) {
  uint64_t learner_match = 0, leader_match = 0;
  if (node_ != nullptr && node_->is_leader()) {
    raft::Status st = node_->raw_node().GetStatus();
    auto l = st.progress.find(id);
    auto me = st.progress.find(options_.self_id);
    if (l != st.progress.end()) learner_match = l->second.match;
    if (me != st.progress.end()) leader_match = me->second.match;
  } else if (node_ != nullptr) {
    // Only the leader knows the learner's progress: the Cluster service
    // runs Promote there (api::LeaderForwarder, as etcd forwards it). Run
    // on a follower anyway, a learner is refused with etcd's error for one
    // not known to be in sync.
    const cairnpb::Member* m = registry_.Find(id);
    if (m != nullptr && m->is_learner()) return done(ErrLearnerNotReady(), {});
  }
  base::Status s = registry_.CheckPromote(id, learner_match, leader_match,
                                          options_.strict_reconfig_check);
  if (!s.ok()) return done(s, {});
  cairnpb::Member m;
  m.set_id(id);
  Propose(raftpb::kConfChangeAddNode, Kind::PROMOTE, m, timeout_ms,
          std::move(done));
}

}  // namespace server::membership
