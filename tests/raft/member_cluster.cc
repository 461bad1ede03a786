#include "tests/raft/member_cluster.h"

#include "proto/raftpb/codec.h"
#include "raft/util.h"

namespace raft::test {

MemberCluster::MemberCluster(std::vector<uint64_t> voters, Options options)
    : options_(options), rng_(options.seed) {
  initial_.voters = std::move(voters);
  for (uint64_t id : initial_.voters) AddNode(id);
}

void MemberCluster::AddNode(uint64_t id) {
  auto n = std::make_unique<Node>();
  n->storage.SetInitialConfState(initial_);
  Config& c = n->config;
  c.id = id;
  c.election_tick = options_.election_tick;
  c.heartbeat_tick = 1;
  c.storage = &n->storage;
  c.max_size_per_msg = 1024 * 1024;
  c.max_inflight_msgs = 256;
  c.pre_vote = options_.pre_vote;
  c.check_quorum = options_.check_quorum;
  c.disable_conf_change_validation = options_.disable_conf_change_validation;
  c.seed = options_.seed * 1000 + id;
  Start(*n);
  nodes_[id] = std::move(n);
}

std::vector<uint64_t> MemberCluster::ids() const {
  std::vector<uint64_t> v;
  for (const auto& [id, n] : nodes_) v.push_back(id);
  return v;
}

void MemberCluster::Start(Node& n) {
  // The state machine is rebuilt by replaying the log from the start.
  n.config.applied = 0;
  n.cs = initial_;
  n.data.clear();
  auto rn = RawNode::New(n.config);
  if (!rn.ok()) {
    Fail("node " + std::to_string(n.config.id) +
         " cannot start: " + rn.status().ToString());
    return;
  }
  n.rn = std::move(rn).value();
  n.up = true;
}

void MemberCluster::Crash(uint64_t id) {
  Node& n = *nodes_.at(id);
  n.rn.reset();
  n.up = false;
}

void MemberCluster::Restart(uint64_t id) {
  Node& n = *nodes_.at(id);
  if (!n.up) Start(n);
}

void MemberCluster::Cut(uint64_t a, uint64_t b) {
  cut_.insert({a, b});
  cut_.insert({b, a});
}

void MemberCluster::Isolate(uint64_t id) {
  for (const auto& [other, n] : nodes_) {
    if (other != id) Cut(id, other);
  }
}

void MemberCluster::Tick(uint64_t id) {
  if (!Up(id)) return;
  node(id).Tick();
  Check(id);
}

void MemberCluster::TickAll() {
  for (const auto& [id, n] : nodes_) Tick(id);
}

bool MemberCluster::Process(uint64_t id) {
  if (!Up(id)) return false;
  Node& n = *nodes_.at(id);
  if (!n.rn->HasReady()) return false;
  Ready rd = n.rn->GetReady();
  if (rd.snapshot) {
    Fail("unexpected snapshot on node " + std::to_string(id));
    return false;
  }
  if (!rd.entries.empty()) {
    base::Status s = n.storage.Append(rd.entries);
    if (!s.ok()) Fail("append on " + std::to_string(id) + ": " + s.ToString());
  }
  if (rd.hard_state) n.storage.SetHardState(*rd.hard_state);
  for (raftpb::Message& m : rd.messages) msgs_.push_back(std::move(m));
  for (const raftpb::Entry& e : rd.committed_entries) Apply(id, n, e);
  n.rn->Advance();
  Check(id);
  return true;
}

void MemberCluster::Apply(uint64_t id, Node& n, const raftpb::Entry& e) {
  std::string desc = DescribeEntry(e);
  auto [it, inserted] =
      applied_log_.emplace(e.index, std::make_pair(e.term, desc));
  if (!inserted && it->second.second != desc) {
    Fail("node " + std::to_string(id) + " applied " + desc + " at index " +
         std::to_string(e.index) + " where another node applied " +
         it->second.second);
  }
  raftpb::ConfChangeV2 cc;
  if (e.type == raftpb::kEntryConfChange) {
    auto v1 = raftpb::DecodeConfChange(e.data.view());
    if (!v1.ok()) return Fail("undecodable ConfChange at " + desc);
    cc = v1->AsV2();
  } else if (e.type == raftpb::kEntryConfChangeV2) {
    auto v2 = raftpb::DecodeConfChangeV2(e.data.view());
    if (!v2.ok()) return Fail("undecodable ConfChangeV2 at " + desc);
    cc = std::move(v2).value();
  } else {
    if (!e.data.empty()) n.data.emplace_back(e.data.view());
    return;
  }
  base::Status refused;
  n.cs = n.rn->ApplyConfChange(cc, &refused);
  if (!refused.ok()) ++n.refused;
}

size_t MemberCluster::Deliver(size_t max) {
  size_t n = 0;
  std::uniform_real_distribution<double> coin(0, 1);
  while (!msgs_.empty() && (max == 0 || n < max)) {
    raftpb::Message m = std::move(msgs_.front());
    msgs_.pop_front();
    ++n;
    if (cut_.count({m.from, m.to}) != 0 || !Up(m.to)) continue;
    if (drop_rate_ > 0 && coin(rng_) < drop_rate_) continue;
    // Errors (a response from a peer the node no longer tracks...) are
    // normal outcomes here.
    (void)node(m.to).Step(m);
    Check(m.to);
  }
  return n;
}

void MemberCluster::Stabilize() {
  for (int round = 0; round < 1000; ++round) {
    bool busy = false;
    for (const auto& [id, n] : nodes_) busy = Process(id) || busy;
    busy = Deliver() > 0 || busy;
    if (!busy) return;
  }
  Fail("Stabilize did not settle");
}

uint64_t MemberCluster::ElectLeader(int max_rounds) {
  for (int i = 0; i < max_rounds; ++i) {
    Stabilize();
    if (uint64_t l = Leader(); l != 0) return l;
    TickAll();
  }
  return 0;
}

uint64_t MemberCluster::Leader() const {
  uint64_t best = 0;
  uint64_t best_term = 0;
  for (const auto& [id, n] : nodes_) {
    if (!n->up) continue;
    BasicStatus st = n->rn->GetBasicStatus();
    if (st.soft_state.raft_state == StateType::kStateLeader &&
        st.hard_state.term >= best_term) {
      best = id;
      best_term = st.hard_state.term;
    }
  }
  return best;
}

void MemberCluster::Check(uint64_t id) {
  if (!Up(id)) return;
  const RawNode& rn = node(id);
  base::Status inv = rn.CheckInvariants();
  if (!inv.ok()) Fail(inv.ToString());
  BasicStatus st = rn.GetBasicStatus();
  if (st.soft_state.raft_state != StateType::kStateLeader) return;
  auto [it, inserted] = leader_of_term_.emplace(st.hard_state.term, id);
  if (!inserted && it->second != id) {
    Fail("two leaders in term " + std::to_string(st.hard_state.term) + ": " +
         std::to_string(it->second) + " and " + std::to_string(id));
  }
}

void MemberCluster::Fail(const std::string& what) {
  if (violation_.empty()) violation_ = what;
}

}  // namespace raft::test
