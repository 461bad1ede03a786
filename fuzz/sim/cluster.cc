#include "fuzz/sim/cluster.h"

#include <cstdlib>
#include <deque>
#include <optional>
#include <utility>

#include "base/check.h"
#include "raft/util.h"

namespace fuzz::sim {
namespace {

constexpr int kElectionTick = 10;
constexpr int kHeartbeatTick = 1;
constexpr int kKeys = 3;

// Raft's log lines, indented under the event that caused them.
class TraceLogger final : public raft::Logger {
 public:
  TraceLogger(std::ostream* out, int node) : out_(out), node_(node) {}
  void Log(raft::LogLevel, std::string_view line) override {
    *out_ << "      n" << node_ << ": " << line << "\n";
  }
  bool Enabled(raft::LogLevel level) const override {
    return level >= raft::LogLevel::kInfo;
  }

 private:
  std::ostream* out_;
  int node_;
};

// Entry data as the trace shows it: the command, or the size.
std::string FormatData(const raftpb::Payload& p) {
  Command c;
  if (p.empty()) return "";
  if (DecodeCommand(p.view(), &c)) {
    return "op" + std::to_string(c.op_id) + ":" + c.key + "=" + c.value;
  }
  return std::to_string(p.size()) + "B";
}

std::string Key(int k) { return "k" + std::to_string(k % kKeys); }

}  // namespace

struct Cluster::Node {
  raft::MemoryStorage storage;  // The disk: only Ready writes it.
  KvStateMachine sm;            // Durable with its applied index.
  std::unique_ptr<TraceLogger> logger;
  std::unique_ptr<raft::RawNode> raft;  // Null while crashed.
  uint64_t incarnation = 0;
  uint64_t commit = 0;  // Highest commit seen in this incarnation.
  raft::Ready rd;       // Reused between Readies.
  // Async-storage-writes mode: MsgStorageAppend / MsgStorageApply waiting
  // for the node's (slow) append and apply threads. Lost in a crash.
  std::deque<raftpb::Message> append_queue;
  std::deque<raftpb::Message> apply_queue;
};

Cluster::Cluster(const SimOptions& options)
    : options_(options),
      net_(options.nodes),
      checker_(options.nodes, options.check_vote_durability) {
  CAIRN_CHECK(options.nodes >= 3 && options.nodes <= kMaxNodes,
              "nodes %d out of [3, %d]", options.nodes, kMaxNodes);
  // A fresh cluster: every disk holds the same bootstrap snapshot with the
  // configuration.
  raftpb::Snapshot boot;
  boot.metadata.index = 1;
  boot.metadata.term = 1;
  for (int i = 0; i < options.nodes; ++i) {
    boot.metadata.conf_state.voters.push_back(static_cast<uint64_t>(i + 1));
  }
  for (int i = 0; i < options.nodes; ++i) {
    nodes_.push_back(std::make_unique<Node>());
    Node& n = *nodes_.back();
    CAIRN_CHECK(n.storage.ApplySnapshot(boot).ok());
    n.storage.SetHardState({1, 0, 1});
    CAIRN_CHECK(n.sm.Restore("", 1));
    checker_.ObserveSnapshotApplied(i, 1, 1);
    if (options.trace != nullptr) {
      n.logger = std::make_unique<TraceLogger>(options.trace, i + 1);
    }
    Start(i);
  }
}

Cluster::~Cluster() = default;

bool Cluster::Alive(int i) const { return nodes_[i]->raft != nullptr; }

void Cluster::Fail(std::string what) {
  if (violation_.empty()) {
    violation_ = std::move(what);
    Trace("  VIOLATION: " + violation_);
  }
}

void Cluster::Trace(const std::string& line) {
  if (options_.trace != nullptr) *options_.trace << line << "\n";
}

void Cluster::Start(int i) {
  Node& n = *nodes_[i];
  if (options_.forget_vote_on_restart && n.incarnation > 0) {
    raftpb::HardState hs = n.storage.hard_state();
    hs.vote = 0;  // The planted bug: the vote did not survive the crash.
    n.storage.SetHardState(hs);
  }
  raft::Config c;
  c.id = static_cast<uint64_t>(i + 1);
  c.election_tick = kElectionTick;
  c.heartbeat_tick = kHeartbeatTick;
  c.storage = &n.storage;
  c.applied = n.sm.applied();
  Prng flags(options_.seed ^ 0xf1a65ULL);
  const uint64_t bits = flags.Next();
  // Small messages (one entry each) and windows make entries of one batch
  // reach followers separately, which some bugs need (Figure 8).
  // (0 is "one entry per message" too; it aborted raft until 552ee34, see
  // tests/fuzz/regression_test.cc.)
  static constexpr uint64_t kMsgSizes[] = {0, 1, 64, 4096};
  static constexpr int kInflight[] = {1, 4, 64, 64};
  c.max_size_per_msg = kMsgSizes[(bits >> 2) & 3];
  c.max_inflight_msgs = kInflight[(bits >> 4) & 3];
  if (options_.profile == "crashy") c.max_size_per_msg = 1;
  c.pre_vote = options_.pre_vote >= 0 ? options_.pre_vote == 1 : (bits & 1);
  c.check_quorum =
      options_.check_quorum >= 0 ? options_.check_quorum == 1 : (bits & 2);
  c.seed = options_.seed * 1000003 + static_cast<uint64_t>(i) * 101 +
           n.incarnation + 1;
  c.logger = n.logger.get();
  c.testing_knobs = options_.knobs;
  c.async_storage_writes = options_.mode == StorageMode::kAsync;
  base::Result<std::unique_ptr<raft::RawNode>> r = raft::RawNode::New(c);
  if (!r.ok()) {
    Fail("n" + std::to_string(i + 1) +
         " failed to start: " + r.status().ToString());
    return;
  }
  n.raft = std::move(r).value();
  n.commit = n.storage.hard_state().commit;
  ++n.incarnation;
}

void Cluster::Crash(int i) {
  nodes_[i]->raft.reset();
  nodes_[i]->append_queue.clear();  // Writes not done are lost.
  nodes_[i]->apply_queue.clear();
  clients_.NodeCrashed(i);
}

uint64_t Cluster::Propose(int i, const std::string& key) {
  Command cmd{clients_.next_id(), key, ""};
  cmd.value = "v" + std::to_string(cmd.op_id);
  const uint64_t op = clients_.StartPut(i, cmd.key, cmd.value, now_);
  base::Status s = nodes_[i]->raft->Propose(EncodeCommand(cmd));
  if (!s.ok()) {
    Trace("  refused op" + std::to_string(op) + ": " + s.ToString());
    clients_.Refuse(op);
    return 0;
  }
  return op;
}

void Cluster::Read(int i, int key) {
  const uint64_t op = clients_.StartGet(i, Key(key), now_);
  nodes_[i]->raft->ReadIndex(std::to_string(op));
  Trace("  op" + std::to_string(op) + ": get " + Key(key));
}

// The transport's reports to the sender, as etcd's rafthttp makes them: a
// snapshot's outcome (without it a leader waits for it forever), and an
// unreachable peer when a connection fails (a partition or a down node;
// random loss stays silent).
void Cluster::ReportLoss(const raftpb::Message& m, bool unreachable) {
  const int from = static_cast<int>(m.from) - 1;
  if (from < 0 || from >= options_.nodes || !Alive(from)) return;
  if (m.type == raftpb::kMsgSnap) {
    nodes_[from]->raft->ReportSnapshot(m.to,
                                       raft::SnapshotStatus::kSnapshotFailure);
  }
  if (unreachable) nodes_[from]->raft->ReportUnreachable(m.to);
}

void Cluster::Deliver(raftpb::Message m) {
  const int from = static_cast<int>(m.from) - 1;
  const int to = static_cast<int>(m.to) - 1;
  if (to < 0 || to >= options_.nodes || from < 0 || from >= options_.nodes) {
    Trace("  dropped, bad address: " + raft::DescribeMessage(m, FormatData));
    return;
  }
  if (net_.Blocked(from, to)) {
    Trace("  lost (partition): " + raft::DescribeMessage(m, FormatData));
    ReportLoss(m, true);
    return;
  }
  if (!Alive(to)) {
    Trace("  lost (n" + std::to_string(to + 1) +
          " down): " + raft::DescribeMessage(m, FormatData));
    ReportLoss(m, true);
    return;
  }
  Trace("  " + raft::DescribeMessage(m, FormatData));
  const bool snap = m.type == raftpb::kMsgSnap;
  const uint64_t snap_to = m.to;
  base::Status s = nodes_[to]->raft->Step(std::move(m));
  if (!s.ok()) Trace("  step: " + s.ToString());
  if (snap && Alive(from)) {
    nodes_[from]->raft->ReportSnapshot(snap_to,
                                       raft::SnapshotStatus::kSnapshotFinish);
  }
}

void Cluster::ApplyCommitted(int i, const std::vector<raftpb::Entry>& ents) {
  Node& n = *nodes_[i];
  for (const raftpb::Entry& e : ents) {
    checker_.ObserveApplied(i, e);
    Command cmd;
    if (e.type != raftpb::kEntryNormal || e.data.empty() ||
        !DecodeCommand(e.data.view(), &cmd)) {
      n.sm.Skip(e.index);
      continue;
    }
    if (clients_.WasRefused(cmd.op_id)) {
      Fail("op" + std::to_string(cmd.op_id) +
           " was applied although Propose refused it");
    }
    if (n.sm.Apply(e.index, cmd)) {
      clients_.FirstApplied(cmd.op_id, e.index, now_);
      clients_.PutApplied(i, cmd.op_id, now_);
    }
  }
}

void Cluster::Persist(int i, const raftpb::Snapshot* snap,
                      const std::vector<raftpb::Entry>& entries,
                      const raftpb::HardState* hs) {
  Node& n = *nodes_[i];
  if (snap != nullptr && !raftpb::IsEmptySnap(*snap)) {
    const raftpb::SnapshotMetadata& md = snap->metadata;
    base::Status s = n.storage.ApplySnapshot(*snap);
    if (!s.ok()) {
      Fail("n" + std::to_string(i + 1) + " snapshot: " + s.ToString());
    }
    if (!n.sm.Restore(snap->data.view(), md.index)) {
      Fail("n" + std::to_string(i + 1) + " got a malformed snapshot image");
    }
    checker_.ObserveSnapshotApplied(i, md.index, md.term);
  }
  if (!entries.empty()) {
    base::Status s = n.storage.Append(entries);
    if (!s.ok()) Fail("n" + std::to_string(i + 1) + " append: " + s.ToString());
    checker_.ObservePersisted(i, entries, n.storage);
  }
  if (hs != nullptr) {
    n.storage.SetHardState(*hs);
    checker_.ObserveHardState(i, *hs);
  }
}

void Cluster::ServeReads(int i, const std::vector<raft::ReadState>& reads) {
  Node& n = *nodes_[i];
  for (const raft::ReadState& rs : reads) {
    const std::string ctx = rs.request_ctx.ToString();
    clients_.ReadIndexKnown(i, std::strtoull(ctx.c_str(), nullptr, 10),
                            rs.index);
  }
  clients_.Applied(i, n.sm.applied(), now_,
                   [&n](const std::string& key) { return n.sm.Get(key); });
}

void Cluster::CheckLeaderLog(int i) {
  Node& n = *nodes_[i];
  raft::BasicStatus bs = n.raft->GetBasicStatus();
  if (bs.soft_state.raft_state == raft::StateType::kStateLeader) {
    checker_.CheckLeaderCompleteness(i, bs.hard_state.term, n.storage);
  }
}

void Cluster::HandleReady(int i) {
  Node& n = *nodes_[i];
  raft::Ready& rd = n.rd;
  n.raft->GetReady(&rd);
  if (options_.trace != nullptr) {
    std::string d = raft::DescribeReady(rd, FormatData);
    if (!d.empty()) Trace("  n" + std::to_string(i + 1) + " Ready:\n" + d);
  }
  if (options_.mode == StorageMode::kAsync) {
    // The writes travel as local messages to the node's storage threads;
    // the rest of the Ready is informational. No Advance().
    for (raftpb::Message& m : rd.messages) {
      if (m.to == raft::kLocalAppendThread) {
        n.append_queue.push_back(std::move(m));
      } else if (m.to == raft::kLocalApplyThread) {
        n.apply_queue.push_back(std::move(m));
      } else {
        net_.Send(std::move(m));
      }
    }
    ServeReads(i, rd.read_states);
    return;
  }
  Persist(i, rd.snapshot ? &*rd.snapshot : nullptr, rd.entries,
          rd.hard_state ? &*rd.hard_state : nullptr);
  for (raftpb::Message& m : rd.messages) net_.Send(std::move(m));
  ApplyCommitted(i, rd.committed_entries);
  ServeReads(i, rd.read_states);
  n.raft->Advance();
  CheckLeaderLog(i);
}

std::optional<raftpb::Message> Cluster::TakeStorageWork(
    int i, std::deque<raftpb::Message>& queue, const char* thread) {
  if (queue.empty()) return std::nullopt;
  raftpb::Message m = std::move(queue.front());
  queue.pop_front();
  Trace("  n" + std::to_string(i + 1) + " " + thread +
        " thread: " + raft::DescribeMessage(m, FormatData));
  return m;
}

// Async mode: the append thread finishes its oldest write, then delivers
// the responses that waited for it (to this node or to peers).
void Cluster::AppendStep(int i) {
  Node& n = *nodes_[i];
  std::optional<raftpb::Message> m =
      TakeStorageWork(i, n.append_queue, "append");
  if (!m) return;
  raftpb::HardState hs{m->term, m->vote, m->commit};
  const bool has_hs = !raftpb::IsEmptyHardState(hs);
  Persist(i, m->snapshot ? &*m->snapshot : nullptr, m->entries,
          has_hs ? &hs : nullptr);
  StepResponses(i, std::move(m->responses));
  if (n.append_queue.empty() && Alive(i) && !n.raft->HasReady()) {
    CheckLeaderLog(i);
  }
}

// Async mode: the apply thread applies its oldest batch of committed
// entries, then acknowledges.
void Cluster::ApplyStep(int i) {
  std::optional<raftpb::Message> m =
      TakeStorageWork(i, nodes_[i]->apply_queue, "apply");
  if (!m) return;
  ApplyCommitted(i, m->entries);
  ServeReads(i, {});
  StepResponses(i, std::move(m->responses));
}

void Cluster::StepResponses(int i, std::vector<raftpb::Message> responses) {
  for (raftpb::Message& r : responses) {
    if (r.to == static_cast<uint64_t>(i + 1)) {
      base::Status s = nodes_[i]->raft->Step(std::move(r));
      if (!s.ok()) Trace("  local step: " + s.ToString());
    } else {
      net_.Send(std::move(r));
    }
  }
}

void Cluster::Snapshot(int i, int keep) {
  Node& n = *nodes_[i];
  const uint64_t applied = n.sm.applied();
  const uint64_t snap_index = n.storage.FirstIndex().value_or(1) - 1;
  if (applied <= snap_index || applied > n.storage.LastIndex().value_or(0)) {
    return;
  }
  raftpb::ConfState cs;
  for (int j = 0; j < options_.nodes; ++j) {
    cs.voters.push_back(static_cast<uint64_t>(j + 1));
  }
  if (!n.storage.CreateSnapshot(applied, &cs, n.sm.Serialize()).ok()) return;
  const uint64_t compact = applied > static_cast<uint64_t>(keep)
                               ? applied - static_cast<uint64_t>(keep)
                               : 1;
  if (compact > snap_index) (void)n.storage.Compact(compact);
  Trace("  n" + std::to_string(i + 1) + " snapshot at " +
        std::to_string(applied) + ", log from " +
        std::to_string(n.storage.FirstIndex().value_or(0)));
}

void Cluster::Execute(const Event& e) {
  ++now_;
  Trace("#" + std::to_string(now_) + " " + DescribeEvent(e, options_.nodes));
  const int i = e.a % options_.nodes;
  const uint32_t all = (1u << options_.nodes) - 1;
  switch (e.kind) {
    case EventKind::kTick:
      if (Alive(i)) {
        nodes_[i]->raft->Tick();
        ++ticks_;
      }
      break;
    case EventKind::kDeliver:
      if (auto m = net_.Take(e.c)) Deliver(std::move(*m));
      break;
    case EventKind::kDrop:
      if (auto m = net_.Take(e.c)) {
        Trace("  lost: " + raft::DescribeMessage(*m, FormatData));
        ReportLoss(*m, false);
      }
      break;
    case EventKind::kDuplicate:
      (void)net_.Duplicate(e.c);
      break;
    case EventKind::kReady:
      if (!Alive(i)) break;
      if (options_.mode == StorageMode::kAsync && e.b % 4 == 1) {
        AppendStep(i);  // A slow disk: writes finish when scheduled.
      } else if (options_.mode == StorageMode::kAsync && e.b % 4 == 2) {
        ApplyStep(i);
      } else if (nodes_[i]->raft->HasReady()) {
        HandleReady(i);
      }
      break;
    case EventKind::kPropose:
      if (Alive(i)) {
        uint64_t op = Propose(i, Key(e.b));
        if (op != 0) Trace("  op" + std::to_string(op) + ": put " + Key(e.b));
      }
      break;
    case EventKind::kRead:
      if (Alive(i)) Read(i, e.b);
      break;
    case EventKind::kCrash:
      if (Alive(i)) Crash(i);
      break;
    case EventKind::kRestart:
      if (!Alive(i)) Start(i);
      break;
    case EventKind::kPartition:
      net_.Partition(e.c & all);
      break;
    case EventKind::kPartitionOneWay:
      net_.PartitionOneWay(e.c & all);
      break;
    case EventKind::kPartitionBridge:
      net_.PartitionBridge(e.c & all, i);
      break;
    case EventKind::kHeal:
      net_.Heal();
      break;
    case EventKind::kSnapshot:
      if (Alive(i)) Snapshot(i, e.b % 8);
      break;
    case EventKind::kTransferLeader:
      if (Alive(i)) {
        nodes_[i]->raft->TransferLeader(
            static_cast<uint64_t>(e.b % options_.nodes + 1));
      }
      break;
    case EventKind::kCampaign:
      if (Alive(i)) (void)nodes_[i]->raft->Campaign();
      break;
  }
  CheckAll();
}

void Cluster::CheckAll() {
  for (int i = 0; i < options_.nodes; ++i) {
    if (!Alive(i)) continue;
    Node& n = *nodes_[i];
    raft::BasicStatus bs = n.raft->GetBasicStatus();
    if (bs.soft_state.raft_state == raft::StateType::kStateLeader) {
      checker_.ObserveLeader(i, bs.hard_state.term, bs.hard_state.commit);
    }
    if (bs.hard_state.commit < n.commit) {
      Fail("n" + std::to_string(i + 1) + " commit went back from " +
           std::to_string(n.commit) + " to " +
           std::to_string(bs.hard_state.commit));
    }
    n.commit = bs.hard_state.commit;
    base::Status s = n.raft->CheckInvariants();
    if (!s.ok()) {
      Fail("invariant of n" + std::to_string(i + 1) + ": " + s.ToString());
    }
  }
  if (!checker_.ok()) Fail(checker_.violation());
}

void Cluster::RestartAllAndHeal() {
  net_.Heal();
  for (int i = 0; i < options_.nodes; ++i) {
    if (!Alive(i)) Start(i);
  }
  Trace("# heal, restart all, faults stop");
}

void Cluster::TickAll() {
  ++now_;
  for (int i = 0; i < options_.nodes; ++i) {
    if (!Alive(i)) continue;
    nodes_[i]->raft->Tick();
    ++ticks_;
  }
  CheckAll();
}

bool Cluster::Stabilize(int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    bool progress = false;
    for (int i = 0; i < options_.nodes; ++i) {
      if (!Alive(i)) continue;
      Node& n = *nodes_[i];
      if (n.raft->HasReady()) {
        ++now_;
        HandleReady(i);
        progress = true;
      }
      while (!n.append_queue.empty() || !n.apply_queue.empty()) {
        ++now_;
        AppendStep(i);
        ApplyStep(i);
        progress = true;
      }
    }
    while (auto m = net_.Take(0)) {
      ++now_;
      Deliver(std::move(*m));
      progress = true;
    }
    CheckAll();
    if (!progress) return true;
  }
  return false;
}

int Cluster::Leader() const {
  int leader = -1;
  uint64_t term = 0;
  for (int i = 0; i < options_.nodes; ++i) {
    if (!Alive(i)) continue;
    raft::BasicStatus bs = nodes_[i]->raft->GetBasicStatus();
    if (bs.soft_state.raft_state == raft::StateType::kStateLeader &&
        bs.hard_state.term >= term) {
      leader = i;
      term = bs.hard_state.term;
    }
  }
  return leader;
}

bool Cluster::AppliedEverywhere(uint64_t op_id) const {
  for (const auto& n : nodes_) {
    if (!n->sm.HasApplied(op_id)) return false;
  }
  return true;
}

ClusterView Cluster::View() const {
  ClusterView v;
  v.nodes = options_.nodes;
  v.in_flight = net_.size();
  v.leader = Leader();
  for (int i = 0; i < options_.nodes; ++i) {
    v.alive[i] = Alive(i);
    v.has_ready[i] = Alive(i) && nodes_[i]->raft->HasReady();
  }
  return v;
}

}  // namespace fuzz::sim
