// raftexample: a key-value map replicated across three members in one
// process with raft/ alone (no server, no disk, no sockets), in the spirit
// of etcd's contrib/raftexample. It elects a leader, proposes puts through
// the leader and through a follower, adds a fourth member as a learner and
// promotes it to voter, then checks that every member applied the same map.
// Exits 0 when they agree, 1 otherwise. docs/raft.md explains each step.

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "examples/raftexample/kv_node.h"
#include "proto/raftpb/raftpb.h"
#include "raft/raw_node.h"
#include "raft/status.h"

namespace raftexample {
namespace {

// The members, and the network between them: an in-memory queue that
// delivers every message in order. (Raft would also cope with loss,
// duplication and reordering.)
class Cluster {
 public:
  base::Status Add(uint64_t id, const std::vector<uint64_t>& initial_voters) {
    CAIRN_ASSIGN_OR_RETURN(nodes_[id], KvNode::Create(id, initial_voters));
    return base::Status();
  }
  KvNode& node(uint64_t id) { return *nodes_.at(id); }
  const std::map<uint64_t, std::unique_ptr<KvNode>>& nodes() const {
    return nodes_;
  }

  // Handles Readies and delivers messages until nothing is left to do.
  base::Status Settle() {
    for (bool busy = true; busy;) {
      busy = false;
      for (auto& [id, n] : nodes_) {
        CAIRN_ASSIGN_OR_RETURN(bool had, n->HandleReady(&outbox_));
        busy = busy || had;
      }
      for (raftpb::Message& m : outbox_) network_.push_back(std::move(m));
      outbox_.clear();
      while (!network_.empty()) {
        busy = true;
        raftpb::Message m = std::move(network_.front());
        network_.pop_front();
        auto to = nodes_.find(m.to);
        if (to == nodes_.end()) continue;  // Nobody there: lost.
        base::Status s = to->second->raft().Step(std::move(m));
        if (!s.ok()) std::printf("  step: %s\n", s.ToString().c_str());
      }
    }
    return base::Status();
  }

  // Ticks every member n times, settling after each tick.
  base::Status Tick(int n) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, node] : nodes_) node->raft().Tick();
      CAIRN_RETURN_IF_ERROR(Settle());
    }
    return base::Status();
  }

  // The leader as member 1 sees it (0 when none).
  uint64_t Leader() {
    return nodes_.begin()->second->raft().GetBasicStatus().soft_state.lead;
  }

 private:
  std::map<uint64_t, std::unique_ptr<KvNode>> nodes_;
  std::vector<raftpb::Message> outbox_;
  std::deque<raftpb::Message> network_;
};

std::string Ids(const std::vector<uint64_t>& ids) {
  std::string s = "{";
  for (uint64_t id : ids) {
    if (s.size() > 1) s += ',';
    s += std::to_string(id);
  }
  s += '}';
  return s;
}

// Proposes a configuration change at the leader and waits until every
// member applied it.
base::Status ChangeConf(Cluster& c, raftpb::ConfChangeType type, uint64_t id) {
  raftpb::ConfChange cc;
  cc.type = type;
  cc.node_id = id;
  CAIRN_RETURN_IF_ERROR(c.node(c.Leader()).raft().ProposeConfChange(cc));
  CAIRN_RETURN_IF_ERROR(c.Tick(3));
  const raftpb::ConfState& cs = c.node(c.Leader()).conf_state();
  std::printf("configuration: voters %s learners %s\n", Ids(cs.voters).c_str(),
              Ids(cs.learners).c_str());
  return base::Status();
}

base::Status Run() {
  Cluster c;
  const std::vector<uint64_t> founders = {1, 2, 3};
  for (uint64_t id : founders) CAIRN_RETURN_IF_ERROR(c.Add(id, founders));

  // Elect a leader: let the election timeout fire, as it would on its own.
  for (int i = 0; i < 50 && c.Leader() == 0; ++i) {
    CAIRN_RETURN_IF_ERROR(c.Tick(1));
  }
  if (c.Leader() == 0) return base::Status::Internal("no leader elected");
  std::printf("leader: %llu\n", static_cast<unsigned long long>(c.Leader()));

  // Puts through the leader, and through a follower (which forwards).
  uint64_t follower = c.Leader() == 1 ? 2 : 1;
  CAIRN_RETURN_IF_ERROR(c.node(c.Leader()).ProposePut("alpha", "1"));
  CAIRN_RETURN_IF_ERROR(c.node(follower).ProposePut("beta", "2"));
  CAIRN_RETURN_IF_ERROR(c.Tick(3));

  // A fourth member: it starts from the initial configuration, joins as a
  // learner (it gets the log but does not vote), then is promoted.
  CAIRN_RETURN_IF_ERROR(c.Add(4, founders));
  CAIRN_RETURN_IF_ERROR(ChangeConf(c, raftpb::kConfChangeAddLearnerNode, 4));
  CAIRN_RETURN_IF_ERROR(c.node(c.Leader()).ProposePut("gamma", "3"));
  CAIRN_RETURN_IF_ERROR(c.Tick(3));
  // Promote it once it has caught up, as the leader sees its progress.
  raft::Status st = c.node(c.Leader()).raft().GetStatus();
  uint64_t match = st.progress.at(4).match;
  uint64_t commit = st.basic.hard_state.commit;
  std::printf("learner 4 matched %llu, commit %llu\n",
              static_cast<unsigned long long>(match),
              static_cast<unsigned long long>(commit));
  if (match < commit) return base::Status::Internal("4 did not catch up");
  CAIRN_RETURN_IF_ERROR(ChangeConf(c, raftpb::kConfChangeAddNode, 4));
  CAIRN_RETURN_IF_ERROR(c.node(4).ProposePut("alpha", "4"));
  CAIRN_RETURN_IF_ERROR(c.Tick(3));

  // Every member applied the same map.
  const std::map<std::string, std::string> want = {
      {"alpha", "4"}, {"beta", "2"}, {"gamma", "3"}};
  bool same = true;
  for (const auto& [id, n] : c.nodes()) {
    std::string line;
    for (const auto& [k, v] : n->kv()) {
      line += ' ';
      line += k;
      line += '=';
      line += v;
    }
    std::printf("node %llu:%s\n", static_cast<unsigned long long>(id),
                line.c_str());
    same = same && n->kv() == want;
  }
  const raftpb::ConfState& cs = c.node(c.Leader()).conf_state();
  if (cs.voters.size() != 4 || !cs.learners.empty()) {
    return base::Status::Internal("member 4 was not promoted");
  }
  if (!same) return base::Status::Internal("the members' maps differ");
  std::printf("all %zu maps equal\n", c.nodes().size());
  return base::Status();
}

}  // namespace
}  // namespace raftexample

int main() {
  base::Status s = raftexample::Run();
  if (!s.ok()) {
    std::fprintf(stderr, "raftexample: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
