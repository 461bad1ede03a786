#pragma once

// MemberCluster: an in-process cluster of raft::RawNodes whose membership
// changes, for the membership tests (raft_membership_test.cc).
//
// Each node has a MemoryStorage that starts from the cluster's initial
// configuration (docs/raft.md, "Bootstrapping"), so a newcomer replays the
// log from index 1 and with it every configuration change. A node handles
// a Ready as a host does in sync mode: persist entries and hard state,
// queue the messages, apply the committed entries (configuration changes
// through ApplyConfChange), Advance. Messages travel through one FIFO
// queue; links can be cut, and a drop rate loses messages at random from
// a seeded PRNG. Crash() discards a node's RawNode and state machine (its
// storage survives); Restart() rebuilds both from the storage and replays
// the log.
//
// Safety checks run after every step, tick and Ready: at most one leader
// per term (over the whole run, crashes included), every node applies the
// same entry at a given index, and each node's CheckInvariants(). The
// first violation is kept in violation().
//
// Not thread-safe.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace raft::test {

class MemberCluster {
 public:
  struct Options {
    uint64_t seed = 1;
    bool pre_vote = false;
    bool check_quorum = false;
    int election_tick = 10;
    // Config::disable_conf_change_validation, to commit invalid changes.
    bool disable_conf_change_validation = false;
  };

  // Starts nodes `voters`, all voters of the initial configuration.
  MemberCluster(std::vector<uint64_t> voters, Options options);
  MemberCluster(const MemberCluster&) = delete;
  MemberCluster& operator=(const MemberCluster&) = delete;

  // Starts a node that no configuration names yet (a newcomer).
  // REQUIRES: id is new.
  void AddNode(uint64_t id);
  bool Has(uint64_t id) const { return nodes_.count(id) != 0; }
  bool Up(uint64_t id) const { return Has(id) && nodes_.at(id)->up; }
  std::vector<uint64_t> ids() const;
  // REQUIRES: Up(id).
  RawNode& node(uint64_t id) { return *nodes_.at(id)->rn; }

  void Crash(uint64_t id);
  void Restart(uint64_t id);
  void Cut(uint64_t a, uint64_t b);
  void Isolate(uint64_t id);
  void Heal() { cut_.clear(); }
  void set_drop_rate(double p) { drop_rate_ = p; }

  void Tick(uint64_t id);
  void TickAll();
  // Handles one Ready of node id, if it is up and has one.
  bool Process(uint64_t id);
  // Delivers up to `max` queued messages (every one when 0), FIFO.
  size_t Deliver(size_t max = 0);
  // Handles Readies and delivers messages until nothing is left (bounded).
  void Stabilize();
  // Ticks every node and stabilizes, round after round, until some up
  // node is leader (at most max_rounds). Returns the leader or 0.
  uint64_t ElectLeader(int max_rounds = 200);

  // The up node that leads in the highest term, or 0.
  uint64_t Leader() const;

  // What node id's state machine holds: the data of the normal entries it
  // applied, in order, and the ConfState of its last applied change.
  const std::vector<std::string>& applied_data(uint64_t id) const {
    return nodes_.at(id)->data;
  }
  const raftpb::ConfState& conf_state(uint64_t id) const {
    return nodes_.at(id)->cs;
  }
  // Refusals ApplyConfChange reported on node id.
  int refused_changes(uint64_t id) const { return nodes_.at(id)->refused; }

  const std::string& violation() const { return violation_; }
  bool ok() const { return violation_.empty(); }
  // Every index some node applied, with the entry's term and a
  // description.
  const std::map<uint64_t, std::pair<uint64_t, std::string>>& applied_log()
      const {
    return applied_log_;
  }

 private:
  struct Node {
    MemoryStorage storage;
    Config config;
    std::unique_ptr<RawNode> rn;
    bool up = false;
    raftpb::ConfState cs;
    std::vector<std::string> data;
    int refused = 0;
  };

  void Start(Node& n);
  void Apply(uint64_t id, Node& n, const raftpb::Entry& e);
  void Check(uint64_t id);
  void Fail(const std::string& what);

  Options options_;
  raftpb::ConfState initial_;
  std::map<uint64_t, std::unique_ptr<Node>> nodes_;
  std::deque<raftpb::Message> msgs_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  double drop_rate_ = 0;
  std::mt19937_64 rng_;
  std::map<uint64_t, uint64_t> leader_of_term_;
  std::map<uint64_t, std::pair<uint64_t, std::string>> applied_log_;
  std::string violation_;
};

}  // namespace raft::test
