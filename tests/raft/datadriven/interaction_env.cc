#include "tests/raft/datadriven/interaction_env.h"

#include <map>
#include <string_view>
#include <utility>

#include "raft/util.h"

namespace raft_test {

void EnvLogger::Log(raft::LogLevel level, std::string_view line) {
  if (!Enabled(level)) return;
  std::string s(raft::LogLevelName(level));
  s += " ";
  s += line;
  s += "\n";
  env_->Write(s);
}

bool EnvLogger::Enabled(raft::LogLevel level) const {
  return static_cast<int>(level) >= env_->log_level;
}

base::Result<int> ParseLogLevel(std::string_view s) {
  if (s == "debug") return 0;
  if (s == "info") return 1;
  if (s == "warn") return 2;
  if (s == "error") return 3;
  if (s == "none") return InteractionEnv::kLevelNone;
  return base::Status::InvalidArgument("unknown log level " + std::string(s));
}

base::Result<std::vector<uint64_t>> NodeIds(const InteractionEnv& env,
                                            const datadriven::TestData& d) {
  std::vector<uint64_t> ids;
  for (const datadriven::CmdArg& a : d.cmd_args) {
    if (!a.vals.empty()) continue;
    char* end = nullptr;
    uint64_t id = std::strtoull(a.key.c_str(), &end, 10);
    if (a.key.empty() || end != a.key.c_str() + a.key.size()) {
      return base::Status::InvalidArgument("not a node id: " + a.key);
    }
    if (!env.HasNode(id)) {
      return base::Status::InvalidArgument("no node " + a.key);
    }
    ids.push_back(id);
  }
  return ids;
}

base::Result<uint64_t> FirstNodeId(const InteractionEnv& env,
                                   const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, NodeIds(env, d));
  if (ids.empty()) return base::Status::InvalidArgument("node id required");
  return ids[0];
}

void InteractionEnv::Write(std::string_view text) {
  for (char c : text) {
    if (at_line_start_ && c != '\n') {
      out_.append(static_cast<size_t>(2 * indent_), ' ');
    }
    out_.push_back(c);
    at_line_start_ = c == '\n';
  }
}

void InteractionEnv::WithIndent(const std::function<void()>& f) {
  ++indent_;
  f();
  --indent_;
}

std::string InteractionEnv::Handle(const datadriven::TestData& d) {
  using Handler =
      base::Status (*)(InteractionEnv&, const datadriven::TestData&);
  static const std::map<std::string_view, Handler> kHandlers = {
      {"add-nodes", HandleAddNodes},
      {"campaign", HandleCampaign},
      {"propose", HandlePropose},
      {"propose-conf-change", HandleProposeConfChange},
      {"tick", HandleTick},
      {"tick-election", HandleTick},
      {"tick-heartbeat", HandleTick},
      {"process-ready", HandleProcessReady},
      {"process-append-thread", HandleProcessStorageThread},
      {"process-apply-thread", HandleProcessStorageThread},
      {"deliver-msgs", HandleDeliverMsgs},
      {"stabilize", HandleStabilize},
      {"isolate", HandlePartition},
      {"heal", HandlePartition},
      {"restart", HandleRestart},
      {"status", HandleStatus},
      {"raft-state", HandleRaftState},
      {"raft-log", HandleRaftLog},
      {"log-state", HandleLogState},
      {"log-level", HandleLogLevel},
      {"compact", HandleCompact},
      {"send-snapshot", HandleSendSnapshot},
      {"transfer-leadership", HandleTransferLeadership},
      {"read-index", HandleReadIndex},
      {"report-unreachable", HandleReport},
      {"report-snapshot", HandleReport},
      {"forget-leader", HandleReport},
  };
  out_.clear();
  indent_ = 0;
  at_line_start_ = true;
  auto it = kHandlers.find(d.cmd);
  base::Status s =
      it == kHandlers.end()
          ? base::Status::InvalidArgument("unknown command " + d.cmd)
          : it->second(*this, d);
  if (!s.ok()) {
    if (!at_line_start_) Write("\n");
    Write("error: " + s.message() + "\n");
  }
  // Every node must be internally consistent after every command.
  for (const Node& n : nodes) {
    base::Status inv = n.raw_node->CheckInvariants();
    if (!inv.ok()) {
      Write("invariant violated on node " + std::to_string(n.config.id) + ": " +
            inv.ToString() + "\n");
    }
  }
  if (out_.empty()) return "ok\n";
  return std::move(out_);
}

}  // namespace raft_test
