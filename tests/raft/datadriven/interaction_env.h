#pragma once

// InteractionEnv: the state behind the datadriven interaction tests (after
// etcd's rafttest.InteractionEnv). A file in tests/raft/testdata/ drives a
// set of RawNodes by hand, one command per directive:
//
//   add-nodes <n> [voters=(..)] [learners=(..)] [index=<i>] [content=<s>]
//             [pre-vote=<bool>] [check-quorum=<bool>] [inflight=<n>]
//             [max-size-per-msg=<n>] [max-committed-size-per-ready=<n>]
//             [read-only=safe|lease-based] [max-uncommitted-size=<n>]
//             [disable-proposal-forwarding=<bool>]
//             [async-storage-writes=<bool>]
//   campaign <id>             propose <id> <data>
//   propose-conf-change <id> [v1=<bool>] [transition=auto|implicit|explicit]
//                             (changes "v2 l3 r4" on the input lines)
//   tick-election <id>        tick-heartbeat <id>      tick <id> <n>
//   process-ready <id>...     deliver-msgs [type=..] <id>... [drop=(..)]
//   process-append-thread <id>...    process-apply-thread <id>...
//   stabilize [<id>...] [log-level=<l>]
//   isolate <id>              heal                     restart <id>
//   status <id>               raft-state               raft-log <id>
//   log-state <id>
//   log-level debug|info|warn|error|none
//   compact <id> <index>      send-snapshot <from> <to>
//   read-index <id> <ctx>
//   transfer-leadership from=<id> to=<id>           forget-leader <id>
//   report-unreachable <id> <peer>
//   report-snapshot <id> <peer> [failure=true]
//
// Messages a node sends are collected in `messages` until delivered (or
// dropped) by deliver-msgs or stabilize. The output of a command is what the
// nodes log through their Logger (at or above the current level) plus what
// the command prints, deterministically, so it can be compared with the
// golden output.
//
// A node added with async-storage-writes=true hands its writes to an append
// thread and its committed entries to an apply thread (raft/ready.h,
// "Asynchronous storage writes"): process-ready queues its MsgStorageAppend
// and MsgStorageApply as the node's append_work / apply_work; the
// process-*-thread commands do the oldest piece of work and put its
// responses into `messages`, from where deliver-msgs and stabilize deliver
// them like any other message (stabilize also runs both threads).
//
// Each handler is a free function in its own handle_*.cc file.

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "raft/config.h"
#include "raft/logger.h"
#include "raft/raw_node.h"
#include "tests/raft/datadriven/datadriven.h"
#include "tests/raft/harness/test_storage.h"

namespace raft_test {

class InteractionEnv;

// Writes the nodes' log lines into the environment's output ("INFO 1 became
// leader at term 1").
class EnvLogger final : public raft::Logger {
 public:
  explicit EnvLogger(InteractionEnv* env) : env_(env) {}
  void Log(raft::LogLevel level, std::string_view line) override;
  bool Enabled(raft::LogLevel level) const override;

 private:
  InteractionEnv* env_;
};

struct Node {
  std::unique_ptr<TestStorage> storage;
  std::unique_ptr<raft::RawNode> raw_node;
  raft::Config config;
  // Async-storage-writes mode: MsgStorageAppend / MsgStorageApply not yet
  // processed by the node's append and apply threads, oldest first.
  std::vector<raftpb::Message> append_work;
  std::vector<raftpb::Message> apply_work;
};

// Writes what a Ready or a MsgStorageAppend persists into n's storage:
// the snapshot, then the entries, then the hard state (when non-empty).
base::Status Persist(Node& n, const raftpb::HardState& hs,
                     const raftpb::Snapshot* snap,
                     const std::vector<raftpb::Entry>& ents);
// Applies the configuration changes among committed entries, as a host
// must (ready.h rule 3), and takes a snapshot (no compaction) at each, so
// that the snapshots the node sends carry its current configuration.
base::Status ApplyConfChanges(Node& n, const std::vector<raftpb::Entry>& ents);

class InteractionEnv {
 public:
  // Log levels: raft's four, plus kLevelNone to silence the nodes.
  static constexpr int kLevelNone = 4;

  InteractionEnv() : logger_(this) {}
  InteractionEnv(const InteractionEnv&) = delete;
  InteractionEnv& operator=(const InteractionEnv&) = delete;

  // Runs one directive and returns its output. Unknown commands and
  // handler errors are reported in the output (so a golden file records
  // them) as "error: ...".
  std::string Handle(const datadriven::TestData& d);

  // Output helpers for handlers. Write() appends text, indenting every
  // line that starts while WithIndent() is running.
  void Write(std::string_view text);
  void WithIndent(const std::function<void()>& f);

  // The node with this id. REQUIRES: 1 <= id <= nodes.size().
  Node& node(uint64_t id) { return nodes[id - 1]; }
  bool HasNode(uint64_t id) const { return id >= 1 && id <= nodes.size(); }

  // Runs one Ready cycle on node id: prints it, persists, applies,
  // collects its messages, advances.
  base::Status ProcessReady(uint64_t id);
  // Delivers (or drops, when `drop`) to node `to` the pending messages of
  // the given type (any type when type is null), printing each. Messages
  // from or to an isolated node are dropped. Returns how many were handled.
  size_t DeliverMsgs(uint64_t to, const raftpb::MessageType* type, bool drop);
  // Async mode: the append (apply) thread of node id does its oldest
  // MsgStorageAppend (MsgStorageApply), printing it and the responses it
  // releases into `messages`.
  base::Status ProcessAppendThread(uint64_t id);
  base::Status ProcessApplyThread(uint64_t id);
  // Runs Ready handling, delivery and (async mode) the storage threads
  // until nothing changes.
  base::Status Stabilize(const std::vector<uint64_t>& ids);

  std::vector<Node> nodes;
  std::vector<raftpb::Message> messages;
  std::set<uint64_t> isolated;
  int log_level = 0;  // raft::LogLevel::kDebug

 private:
  EnvLogger logger_;
  std::string out_;
  int indent_ = 0;
  bool at_line_start_ = true;

  friend base::Status HandleAddNodes(InteractionEnv&,
                                     const datadriven::TestData&);
  raft::Logger* logger() { return &logger_; }
};

// Parses "debug", "info", "warn", "error", "none".
base::Result<int> ParseLogLevel(std::string_view s);

// The positional arguments (keys without values) of d, as node ids.
// Error when one is not a number or names no node.
base::Result<std::vector<uint64_t>> NodeIds(const InteractionEnv& env,
                                            const datadriven::TestData& d);
// The first positional argument as a node id.
base::Result<uint64_t> FirstNodeId(const InteractionEnv& env,
                                   const datadriven::TestData& d);

// Handlers, one per file.
base::Status HandleAddNodes(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleCampaign(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandlePropose(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleProposeConfChange(InteractionEnv& env,
                                     const datadriven::TestData& d);
base::Status HandleTick(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleProcessReady(InteractionEnv& env,
                                const datadriven::TestData& d);
base::Status HandleProcessStorageThread(InteractionEnv& env,
                                        const datadriven::TestData& d);
base::Status HandleDeliverMsgs(InteractionEnv& env,
                               const datadriven::TestData& d);
base::Status HandleStabilize(InteractionEnv& env,
                             const datadriven::TestData& d);
base::Status HandlePartition(InteractionEnv& env,
                             const datadriven::TestData& d);
base::Status HandleRestart(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleStatus(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleRaftState(InteractionEnv& env,
                             const datadriven::TestData& d);
base::Status HandleRaftLog(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleLogState(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleLogLevel(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleCompact(InteractionEnv& env, const datadriven::TestData& d);
base::Status HandleSendSnapshot(InteractionEnv& env,
                                const datadriven::TestData& d);
base::Status HandleTransferLeadership(InteractionEnv& env,
                                      const datadriven::TestData& d);
base::Status HandleReadIndex(InteractionEnv& env,
                             const datadriven::TestData& d);
base::Status HandleReport(InteractionEnv& env, const datadriven::TestData& d);

}  // namespace raft_test
