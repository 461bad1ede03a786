#include "bench/raft/cluster.h"

#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "raft/config.h"

namespace bench {
namespace {

// A node compacts its MemoryStorage up to its applied index every this many
// applied entries, so memory stays bounded whatever the iteration count
// (bench/etcdraft does the same).
constexpr uint64_t kCompactEvery = 1024;

}  // namespace

base::Result<std::unique_ptr<Cluster>> Cluster::New(int n, bool async) {
  std::unique_ptr<Cluster> c(new Cluster());
  raftpb::Snapshot snap;
  snap.metadata.index = 1;
  snap.metadata.term = 1;
  for (int i = 1; i <= n; ++i) {
    snap.metadata.conf_state.voters.push_back(static_cast<uint64_t>(i));
  }
  for (int i = 1; i <= n; ++i) {
    auto m = std::make_unique<Member>();
    m->id = static_cast<uint64_t>(i);
    CAIRN_RETURN_IF_ERROR(m->storage.ApplySnapshot(snap));
    raft::Config cfg;
    cfg.id = m->id;
    cfg.election_tick = 10;
    cfg.heartbeat_tick = 1;
    cfg.storage = &m->storage;
    cfg.max_size_per_msg = 1 << 20;
    cfg.max_inflight_msgs = 256;
    cfg.async_storage_writes = async;
    CAIRN_ASSIGN_OR_RETURN(m->node, raft::RawNode::New(cfg));
    c->members_.push_back(std::move(m));
  }
  raft::RawNode& leader = *c->members_[0]->node;
  CAIRN_RETURN_IF_ERROR(leader.Campaign());
  c->Settle();
  if (leader.GetBasicStatus().soft_state.raft_state !=
      raft::StateType::kStateLeader) {
    return base::Status::Internal("node 1 is not leader after the election");
  }
  // The new leader's empty entry is now applied everywhere.
  for (const auto& m : c->members_) {
    if (m->applied != c->members_[0]->applied) {
      return base::Status::Internal("node " + std::to_string(m->id) +
                                    " did not apply the leader's entry");
    }
  }
  return c;
}

void Cluster::Apply(Member& m, const std::vector<raftpb::Entry>& ents) {
  for (const raftpb::Entry& e : ents) {
    m.applied_sum += e.data.size();
    m.applied = e.index;
  }
  if (m.applied - m.compacted_to >= kCompactEvery) {
    base::Status s = m.storage.Compact(m.applied);
    CAIRN_CHECK(s.ok(), "%s", s.ToString().c_str());
    m.compacted_to = m.applied;
  }
}

void Cluster::DoLocalWork(Member& m, const raftpb::Message& lm) {
  if (lm.type == raftpb::kMsgStorageAppend) {
    raftpb::HardState hs{lm.term, lm.vote, lm.commit};
    if (!raftpb::IsEmptyHardState(hs)) m.storage.SetHardState(hs);
    if (!lm.entries.empty()) {
      base::Status s = m.storage.Append(lm.entries);
      CAIRN_CHECK(s.ok(), "%s", s.ToString().c_str());
    }
  } else {
    Apply(m, lm.entries);
  }
  // Done: deliver the responses, to this node at once, to peers with the
  // Ready's messages.
  for (const raftpb::Message& r : lm.responses) {
    if (r.to == m.id) {
      base::Status s = m.node->Step(r);
      CAIRN_CHECK(s.ok(), "%s", s.ToString().c_str());
    } else {
      m.outbox.push_back(r);
    }
  }
}

void Cluster::HandleReady(Member& m) {
  m.node->GetReady(&m.rd);
  raft::Ready& rd = m.rd;
  m.read_states += rd.read_states.size();
  if (!rd.messages.empty() &&
      rd.messages.back().to >= raft::kLocalApplyThread) {
    // Async mode: the local messages come last; do their work in order.
    for (const raftpb::Message& msg : rd.messages) {
      if (msg.to >= raft::kLocalApplyThread) DoLocalWork(m, msg);
    }
    m.undelivered = true;
    return;
  }
  if (rd.hard_state) m.storage.SetHardState(*rd.hard_state);
  if (!rd.entries.empty()) {
    base::Status s = m.storage.Append(rd.entries);
    CAIRN_CHECK(s.ok(), "%s", s.ToString().c_str());
  }
  m.undelivered = !rd.messages.empty();
  Apply(m, rd.committed_entries);
  m.node->Advance();
}

void Cluster::Settle() {
  for (;;) {
    bool progress = false;
    for (const auto& m : members_) {
      if (m->node->HasReady()) {
        HandleReady(*m);
        progress = true;
      }
    }
    // Deliver what those Readies sent. Step does not touch the sender's
    // Ready, and no GetReady runs until all are delivered.
    for (const auto& m : members_) {
      if (!m->undelivered) continue;
      m->undelivered = false;
      progress = true;
      for (const raftpb::Message& msg : m->rd.messages) {
        if (msg.to >= raft::kLocalApplyThread) continue;  // Done already.
        // All peers are known: Step cannot fail.
        base::Status s = members_[msg.to - 1]->node->Step(msg);
        CAIRN_CHECK(s.ok(), "%s", s.ToString().c_str());
      }
      for (const raftpb::Message& msg : m->outbox) {
        base::Status s = members_[msg.to - 1]->node->Step(msg);
        CAIRN_CHECK(s.ok(), "%s", s.ToString().c_str());
      }
      m->outbox.clear();
    }
    if (!progress) return;
  }
}

base::Status Cluster::ProposeAndApply(const raftpb::Payload& data) {
  raft::RawNode& leader = *members_[0]->node;
  // Everything before was applied everywhere.
  const uint64_t want = members_[0]->applied + 1;
  CAIRN_RETURN_IF_ERROR(leader.Propose(data));
  Settle();
  for (const auto& m : members_) {
    if (m->applied != want) {
      return base::Status::Internal("node " + std::to_string(m->id) +
                                    " applied " + std::to_string(m->applied) +
                                    ", want " + std::to_string(want));
    }
  }
  return base::Status::OK();
}

base::Status Cluster::ReadIndexRound(int k) {
  Member& leader = *members_[0];
  const uint64_t before = leader.read_states;
  for (int i = 0; i < k; ++i) {
    const uint64_t id = ++next_read_ctx_;
    char ctx[sizeof(id)];
    std::memcpy(ctx, &id, sizeof(id));
    leader.node->ReadIndex(raftpb::Payload(std::string_view(ctx, sizeof(ctx))));
  }
  Settle();
  const uint64_t got = leader.read_states - before;
  if (got != static_cast<uint64_t>(k)) {
    return base::Status::Internal("leader released " + std::to_string(got) +
                                  " read states, want " + std::to_string(k));
  }
  return base::Status::OK();
}

}  // namespace bench
