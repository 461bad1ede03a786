#pragma once

// A tiny in-process cluster of raft::Raft nodes for the unit tests in
// raft_test.cc: each node has a MemoryStorage; delivering messages steps
// the recipient, persists what it appended (as a host does after a Ready)
// and queues what it sends, breadth first, until nothing is left. Links
// can be cut. (The full network harness of the protocol tests lives in
// tests/raft/harness/.)

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "raft/logger.h"
#include "raft/raft.h"
#include "raft/storage.h"

namespace raft::test {

class Cluster {
 public:
  using Tweak = std::function<void(Config&)>;

  // Nodes 1..n, all voters, election 10, heartbeat 1.
  explicit Cluster(size_t n, const Tweak& tweak = nullptr) {
    raftpb::ConfState cs;
    for (uint64_t id = 1; id <= n; ++id) cs.voters.push_back(id);
    for (uint64_t id = 1; id <= n; ++id) {
      auto node = std::make_unique<Node>();
      node->storage.SetInitialConfState(cs);
      node->config = NewConfig(id, &node->storage);
      if (tweak) tweak(node->config);
      auto r = Raft::New(node->config);
      EXPECT_TRUE(r.ok()) << r.status();
      node->raft = std::move(r).value();
      nodes_[id] = std::move(node);
    }
  }

  static Config NewConfig(uint64_t id, Storage* s) {
    Config c;
    c.id = id;
    c.election_tick = 10;
    c.heartbeat_tick = 1;
    c.storage = s;
    c.max_size_per_msg = kNoLimit;
    c.max_inflight_msgs = 256;
    return c;
  }

  Raft& raft(uint64_t id) { return *nodes_.at(id)->raft; }
  MemoryStorage& storage(uint64_t id) { return nodes_.at(id)->storage; }

  // Restarts node id from its storage (what it persisted).
  void Restart(uint64_t id) {
    Node& n = *nodes_.at(id);
    auto r = Raft::New(n.config);
    ASSERT_TRUE(r.ok()) << r.status();
    n.raft = std::move(r).value();
  }

  void Cut(uint64_t a, uint64_t b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void Isolate(uint64_t id) {
    for (auto& [other, n] : nodes_) {
      if (other != id) Cut(id, other);
    }
  }
  void Recover() { cut_.clear(); }

  // Steps m into its recipient (m.to) and delivers everything that
  // follows. Returns the status of the first step.
  base::Status Send(raftpb::Message m) {
    std::vector<raftpb::Message> v;
    v.push_back(std::move(m));
    return Deliver(std::move(v));
  }

  // Ticks node id n times, delivering what it sends after each tick.
  void Tick(uint64_t id, int n = 1) {
    for (int i = 0; i < n; ++i) {
      raft(id).Tick();
      (void)Deliver(Flush(id));
    }
  }

  // Delivers msgs and everything that follows, breadth first.
  base::Status Deliver(std::vector<raftpb::Message> msgs) {
    std::deque<raftpb::Message> q(std::make_move_iterator(msgs.begin()),
                                  std::make_move_iterator(msgs.end()));
    base::Status first;
    bool is_first = true;
    while (!q.empty()) {
      raftpb::Message msg = std::move(q.front());
      q.pop_front();
      if (cut_.count({msg.from, msg.to}) != 0) continue;
      auto it = nodes_.find(msg.to);
      if (it == nodes_.end()) continue;
      base::Status s = it->second->raft->Step(msg);
      if (is_first) first = s;
      is_first = false;
      EXPECT_TRUE(it->second->raft->CheckInvariants().ok())
          << it->second->raft->CheckInvariants();
      for (raftpb::Message& out : Flush(msg.to)) q.push_back(std::move(out));
    }
    return first;
  }

  // Persists node id's unstable state and returns its outgoing messages.
  std::vector<raftpb::Message> Flush(uint64_t id) {
    Node& n = *nodes_.at(id);
    Raft& r = *n.raft;
    RaftLog& l = r.raft_log();
    if (const raftpb::Snapshot* snap = l.NextUnstableSnapshot()) {
      raftpb::Snapshot copy = *snap;
      EXPECT_TRUE(n.storage.ApplySnapshot(copy).ok());
      l.AcceptUnstable();
      l.StableSnapTo(copy.metadata.index);
    }
    auto ents = l.NextUnstableEnts();
    if (!ents.empty()) {
      std::vector<raftpb::Entry> copy(ents.begin(), ents.end());
      EXPECT_TRUE(n.storage.Append(copy).ok());
      l.AcceptUnstable();
      l.StableTo(copy.back().index, copy.back().term);
    }
    n.storage.SetHardState(r.GetHardState());
    return r.ReadMessages();
  }

  // Delivers a local message (MsgHup, MsgBeat, MsgProp...) to `to`.
  base::Status Local(uint64_t to, raftpb::MessageType type,
                     std::string data = "") {
    raftpb::Message m;
    m.type = type;
    m.from = to;
    m.to = to;
    if (type == raftpb::kMsgProp) {
      m.entries.push_back(raftpb::Entry{0, 0, raftpb::kEntryNormal, data});
    }
    return Send(std::move(m));
  }

 private:
  struct Node {
    MemoryStorage storage;
    Config config;
    std::unique_ptr<Raft> raft;
  };
  std::map<uint64_t, std::unique_ptr<Node>> nodes_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
};

// A standalone node with its own storage (not in a Cluster): voters and
// learners form its initial configuration.
struct Solo {
  explicit Solo(uint64_t id, std::vector<uint64_t> voters,
                const Cluster::Tweak& tweak = nullptr,
                std::vector<uint64_t> learners = {}) {
    raftpb::ConfState cs;
    cs.voters = std::move(voters);
    cs.learners = std::move(learners);
    storage.SetInitialConfState(cs);
    Config c = Cluster::NewConfig(id, &storage);
    if (tweak) tweak(c);
    auto res = Raft::New(c);
    EXPECT_TRUE(res.ok()) << res.status();
    r = std::move(res).value();
  }
  MemoryStorage storage;
  std::unique_ptr<Raft> r;
};

// A Logger that keeps every line, for tests that check what raft logs.
class CapturingLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view line) override {
    lines.push_back(std::string(LogLevelName(level)) + " " + std::string(line));
  }
  // True when some line contains `text`.
  bool Contains(std::string_view text) const {
    for (const std::string& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines;
};

}  // namespace raft::test
