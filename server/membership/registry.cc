#include "server/membership/registry.h"

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "server/config/ids.h"

namespace server::membership {

base::Status ErrMemberNotFound() {
  return base::Status::NotFound("etcdserver: member not found");
}
base::Status ErrMemberExists() {
  return base::Status::FailedPrecondition(
      "etcdserver: member ID already exist");
}
base::Status ErrPeerUrlExists() {
  return base::Status::FailedPrecondition(
      "etcdserver: Peer URLs already exists");
}
// etcd 3.4 maps this one to no gRPC code: clients see UNKNOWN.
base::Status ErrNotEnoughStarted() {
  return base::Status::Unknown(
      "etcdserver: re-configuration failed due to not enough started "
      "members");
}
base::Status ErrBadUrls() {
  return base::Status::InvalidArgument(
      "etcdserver: given member URLs are invalid");
}
base::Status ErrNotLearner() {
  return base::Status::FailedPrecondition(
      "etcdserver: can only promote a learner member");
}
base::Status ErrLearnerNotReady() {
  return base::Status::FailedPrecondition(
      "etcdserver: can only promote a learner member which is in sync with "
      "leader");
}
base::Status ErrTooManyLearners() {
  return base::Status::FailedPrecondition(
      "etcdserver: too many learner members in cluster");
}

namespace {

using Kind = cairnpb::ConfChangeContext;

bool Contains(const std::vector<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool KindMatches(raftpb::ConfChangeType type, Kind::Kind kind) {
  switch (type) {
    case raftpb::kConfChangeAddNode:
      return kind == Kind::ADD || kind == Kind::PROMOTE;
    case raftpb::kConfChangeAddLearnerNode:
      return kind == Kind::ADD;
    case raftpb::kConfChangeRemoveNode:
      return kind == Kind::REMOVE;
    case raftpb::kConfChangeUpdateNode:
      return kind == Kind::UPDATE || kind == Kind::PUBLISH;
  }
  return false;
}

}  // namespace

std::string EncodeContext(cairnpb::ConfChangeContext::Kind kind,
                          const cairnpb::Member& member) {
  cairnpb::ConfChangeContext ctx;
  ctx.set_kind(kind);
  *ctx.mutable_member() = member;
  return ctx.SerializeAsString();
}

Registry Registry::FromInitial(const std::vector<Initial>& members) {
  Registry r;
  for (const Initial& im : members) {
    cairnpb::Member& m = r.members_[im.id];
    m.set_id(im.id);
    m.set_name(im.name);
    for (const std::string& u : im.peer_urls) m.add_peer_urls(u);
  }
  return r;
}

base::Result<Registry> Registry::FromProto(const cairnpb::Membership& p) {
  Registry r;
  r.index_ = p.index();
  for (const cairnpb::Member& m : p.members()) {
    if (m.id() == 0 || !r.members_.emplace(m.id(), m).second) {
      return base::Status::DataLoss("stored membership: bad member ID " +
                                    FormatId(m.id()));
    }
  }
  for (uint64_t id : p.removed()) r.removed_.insert(id);
  return r;
}

cairnpb::Membership Registry::ToProto() const {
  cairnpb::Membership p;
  p.set_index(index_);
  for (const auto& [id, m] : members_) *p.add_members() = m;
  for (uint64_t id : removed_) p.add_removed(id);
  return p;
}

const cairnpb::Member* Registry::Find(uint64_t id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

std::vector<cairnpb::Member> Registry::Members() const {
  std::vector<cairnpb::Member> out;
  for (const auto& [id, m] : members_) out.push_back(m);
  return out;
}

std::vector<uint64_t> Registry::VoterIds() const {
  std::vector<uint64_t> out;
  for (const auto& [id, m] : members_) {
    if (!m.is_learner()) out.push_back(id);
  }
  return out;
}

uint64_t Registry::FindByPeerUrl(const std::string& url) const {
  for (const auto& [id, m] : members_) {
    for (const std::string& u : m.peer_urls()) {
      if (u == url) return id;
    }
  }
  return 0;
}

int Registry::StartedVoters(uint64_t except) const {
  int n = 0;
  for (const auto& [id, m] : members_) {
    if (id != except && !m.is_learner() && !m.name().empty()) ++n;
  }
  return n;
}

base::Status Registry::CheckAdd(const std::vector<std::string>& peer_urls,
                                bool is_learner, bool strict) const {
  if (strict && !is_learner) {
    // etcd's IsReadyToAddVotingMember: the started voters must be a quorum
    // of the voters plus the new one (but one started member may always
    // add a second).
    int voters = static_cast<int>(VoterIds().size()) + 1;
    int started = StartedVoters(0);
    if (!(started == 1 && voters == 2) && started < voters / 2 + 1) {
      return ErrNotEnoughStarted();
    }
  }
  for (const std::string& u : peer_urls) {
    if (FindByPeerUrl(u) != 0) return ErrPeerUrlExists();
  }
  if (is_learner) {
    int learners = 0;
    for (const auto& [id, m] : members_) learners += m.is_learner() ? 1 : 0;
    if (learners + 1 > kMaxLearners) return ErrTooManyLearners();
  }
  return base::Status::OK();
}

base::Status Registry::CheckRemove(uint64_t id, bool strict) const {
  const cairnpb::Member* m = Find(id);
  if (strict && (m == nullptr || !m->is_learner())) {
    // etcd's IsReadyToRemoveVotingMember: the started voters left must be
    // a quorum of the voters left.
    int voters = 0;
    for (uint64_t v : VoterIds()) voters += v == id ? 0 : 1;
    if (StartedVoters(id) < voters / 2 + 1) return ErrNotEnoughStarted();
  }
  if (m == nullptr) return ErrMemberNotFound();
  return base::Status::OK();
}

base::Status Registry::CheckUpdate(
    uint64_t id, const std::vector<std::string>& peer_urls) const {
  if (Find(id) == nullptr) return ErrMemberNotFound();
  for (const std::string& u : peer_urls) {
    uint64_t owner = FindByPeerUrl(u);
    if (owner != 0 && owner != id) return ErrPeerUrlExists();
  }
  return base::Status::OK();
}

base::Status Registry::CheckPromote(uint64_t id, uint64_t learner_match,
                                    uint64_t leader_match, bool strict) const {
  const cairnpb::Member* m = Find(id);
  // etcd checks readiness first (a voter in sync passes it), then the
  // quorum, then membership.
  if (m != nullptr && static_cast<double>(learner_match) <
                          static_cast<double>(leader_match) * 0.9) {
    return ErrLearnerNotReady();
  }
  if (strict) {
    // The promoted learner counts as a started voter.
    int voters = static_cast<int>(VoterIds().size()) + 1;
    if (StartedVoters(0) + 1 < voters / 2 + 1) return ErrNotEnoughStarted();
  }
  if (m == nullptr) return ErrMemberNotFound();
  if (!m->is_learner()) return ErrNotLearner();
  return base::Status::OK();
}

base::Status Registry::Decide(const raftpb::ConfState& cs,
                              const raftpb::ConfChange& cc,
                              const cairnpb::ConfChangeContext& ctx) {
  if (!KindMatches(cc.type, ctx.kind()) || ctx.member().id() != cc.node_id ||
      cc.node_id == 0) {
    return base::Status::InvalidArgument("etcdserver: bad request");
  }
  const bool voter = Contains(cs.voters, cc.node_id);
  const bool learner = Contains(cs.learners, cc.node_id);
  switch (ctx.kind()) {
    case Kind::ADD:
      return voter || learner ? ErrMemberExists() : base::Status::OK();
    case Kind::PROMOTE:
      if (voter) return ErrNotLearner();
      return learner ? base::Status::OK() : ErrMemberNotFound();
    case Kind::REMOVE:
      if (!voter && !learner) return ErrMemberNotFound();
      // Raft cannot remove its last voter.
      if (voter && cs.voters.size() == 1) return ErrNotEnoughStarted();
      return base::Status::OK();
    case Kind::UPDATE:
    case Kind::PUBLISH:
      return voter || learner ? base::Status::OK() : ErrMemberNotFound();
    default:
      return base::Status::InvalidArgument("etcdserver: bad request");
  }
}

Applied Registry::Apply(uint64_t index, const raftpb::ConfState& cs,
                        raftpb::ConfChange* cc) {
  Applied out;
  cairnpb::ConfChangeContext ctx;
  if (!ctx.ParseFromArray(cc->context.data(),
                          static_cast<int>(cc->context.size()))) {
    ctx.Clear();  // Member ID 0: Decide refuses it.
  }
  // A RemoveNode carries the ID in the entry; the context may be empty.
  if (cc->type == raftpb::kConfChangeRemoveNode && ctx.kind() == Kind::ADD &&
      ctx.member().id() == 0) {
    ctx.set_kind(Kind::REMOVE);
    ctx.mutable_member()->set_id(cc->node_id);
  }
  out.status = Decide(cs, *cc, ctx);
  if (!out.status.ok()) cc->node_id = 0;  // raft applies a no-op
  if (index <= index_) return out;
  index_ = index;
  out.changed = true;
  if (!out.status.ok()) return out;

  const uint64_t id = ctx.member().id();
  switch (ctx.kind()) {
    case Kind::ADD: {
      cairnpb::Member m;
      m.set_id(id);
      *m.mutable_peer_urls() = ctx.member().peer_urls();
      m.set_is_learner(cc->type == raftpb::kConfChangeAddLearnerNode);
      members_[id] = m;
      out.effect = Applied::Effect::kAdded;
      break;
    }
    case Kind::PROMOTE:
      members_[id].set_is_learner(false);
      out.effect = Applied::Effect::kPromoted;
      break;
    case Kind::UPDATE:
      *members_[id].mutable_peer_urls() = ctx.member().peer_urls();
      out.effect = Applied::Effect::kUpdated;
      break;
    case Kind::PUBLISH:
      members_[id].set_name(ctx.member().name());
      *members_[id].mutable_client_urls() = ctx.member().client_urls();
      out.effect = Applied::Effect::kPublished;
      break;
    case Kind::REMOVE:
      out.member = members_[id];
      members_.erase(id);
      removed_.insert(id);
      out.effect = Applied::Effect::kRemoved;
      return out;
    default:
      break;
  }
  out.member = members_[id];
  return out;
}

}  // namespace server::membership
