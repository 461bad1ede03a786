#pragma once

// Registry: the cluster's members as every member agrees on them (etcd's
// membership.RaftCluster): ID, name, peer URLs, client URLs, learner flag,
// and the IDs removed for good.
//
// It changes only when a configuration change entry is applied (Apply), in
// log order, on every member alike. The proposer puts everything a member
// needs into the entry's context (cairnpb.ConfChangeContext, as etcd puts
// its Member JSON there), so applying is a function of the entry and the
// registry before it.
//
// Raft and the registry must keep the same members. Apply therefore decides
// whether raft sees the change or a no-op from raft's own ConfState only
// (never from the registry), so the decision is the same when the node
// replays entries after a restart, while the registry, restored at a later
// index than raft's snapshot, skips them (Apply with index <= index()).
// Invariant: the registry's members are exactly cs.voters + cs.learners.
//
// The rules etcd checks before proposing (peer URL in use, learner limit,
// strict reconfiguration check, promoting a learner) are Check*(): the
// Cluster service runs them on the member that takes the request.
//
// Persistence: the node hands the state machine ToProto() after each change
// (cairnpb.InternalRequest.membership); kvstore keeps it in its database, so
// it survives restarts and travels in snapshots (see docs/operations.md,
// "Runtime membership").
//
// Thread safety: none; the loop thread owns it.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "cairnpb/internal.pb.h"
#include "proto/raftpb/raftpb.h"

namespace server::membership {

// etcd's errors for membership requests (v3rpc/rpctypes).
base::Status ErrMemberNotFound();    // NOT_FOUND "etcdserver: member not found"
base::Status ErrMemberExists();      // "etcdserver: member ID already exist"
base::Status ErrPeerUrlExists();     // "etcdserver: Peer URLs already exists"
base::Status ErrNotEnoughStarted();  // UNKNOWN, "...not enough started"
base::Status ErrBadUrls();     // "etcdserver: given member URLs are invalid"
base::Status ErrNotLearner();  // "...can only promote a learner member"
base::Status ErrLearnerNotReady();  // "...which is in sync with leader"
base::Status ErrTooManyLearners();  // "...too many learner members in cluster"

// etcd 3.4 allows one learner at a time.
inline constexpr int kMaxLearners = 1;

// What applying one entry did, for the transport and the local member.
struct Applied {
  enum class Effect {
    kNone,
    kAdded,
    kPromoted,
    kUpdated,
    kPublished,
    kRemoved
  };
  Effect effect = Effect::kNone;
  // The member concerned, as it is after the change (as it was, if removed).
  cairnpb::Member member;
  // For the proposer: OK, or why the change became a no-op.
  base::Status status;
  // False when the entry was at or below index() (a replay): nothing
  // changed here, and effects were already acted on.
  bool changed = false;
};

class Registry {
 public:
  Registry() = default;

  // A new cluster's registry: its --initial-cluster members, voters, at
  // index 0, names known, client URLs not yet published.
  struct Initial {
    uint64_t id = 0;
    std::string name;
    std::vector<std::string> peer_urls;
  };
  static Registry FromInitial(const std::vector<Initial>& members);
  // DATA_LOSS when the stored registry is malformed (member ID 0, repeats).
  static base::Result<Registry> FromProto(const cairnpb::Membership& m);
  cairnpb::Membership ToProto() const;

  uint64_t index() const { return index_; }
  // nullptr if `id` is not a member.
  const cairnpb::Member* Find(uint64_t id) const;
  bool IsRemoved(uint64_t id) const { return removed_.count(id) != 0; }
  // In increasing ID order.
  std::vector<cairnpb::Member> Members() const;
  std::vector<uint64_t> VoterIds() const;
  // The member whose peer URLs include `url`; 0 if none.
  uint64_t FindByPeerUrl(const std::string& url) const;

  // Checks before proposing (etcd's ValidateConfigurationChange and
  // StrictReconfigCheck; "started" = has published its name, as etcd's
  // Member.IsStarted). `strict` is --strict-reconfig-check.
  base::Status CheckAdd(const std::vector<std::string>& peer_urls,
                        bool is_learner, bool strict) const;
  base::Status CheckRemove(uint64_t id, bool strict) const;
  base::Status CheckUpdate(uint64_t id,
                           const std::vector<std::string>& peer_urls) const;
  // `learner_match` / `leader_match`: raft progress of the learner and of
  // the leader (the caller must be the leader). etcd: ready once the
  // learner's match is at least 90% of the leader's.
  base::Status CheckPromote(uint64_t id, uint64_t learner_match,
                            uint64_t leader_match, bool strict) const;

  // Applies the configuration change entry at `index` given raft's
  // configuration before it. When raft must not see the change (a member
  // that exists already, an unknown one, removing the last voter), *cc is
  // turned into a no-op (node_id 0) and Applied::status says why. Entries
  // at or below index() only get that decision.
  Applied Apply(uint64_t index, const raftpb::ConfState& cs,
                raftpb::ConfChange* cc);

 private:
  // The decision from raft's configuration alone; OK when raft applies cc.
  static base::Status Decide(const raftpb::ConfState& cs,
                             const raftpb::ConfChange& cc,
                             const cairnpb::ConfChangeContext& ctx);
  int StartedVoters(uint64_t except) const;

  uint64_t index_ = 0;
  std::map<uint64_t, cairnpb::Member> members_;
  std::set<uint64_t> removed_;
};

// The context of a proposal, and its decoding (an undecodable context is
// applied as a no-op, deterministically on every member).
std::string EncodeContext(cairnpb::ConfChangeContext::Kind kind,
                          const cairnpb::Member& member);

}  // namespace server::membership
