// process-append-thread <id>... / process-apply-thread <id>...: in
// async-storage-writes mode, the node's append (apply) thread does its
// oldest piece of work, then releases the responses that waited for it
// (raft/ready.h, "Asynchronous storage writes").

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "raft/util.h"
#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

namespace {

// Takes the oldest message of `work` and prints it (without its
// responses); nullopt, printing so, when there is none.
std::optional<raftpb::Message> TakeWork(InteractionEnv& env,
                                        std::vector<raftpb::Message>& work,
                                        const char* what) {
  if (work.empty()) {
    env.Write(std::string("no ") + what + " work to perform\n");
    return std::nullopt;
  }
  raftpb::Message m = std::move(work.front());
  work.erase(work.begin());
  std::vector<raftpb::Message> responses = std::move(m.responses);
  m.responses.clear();
  env.Write("Processing:\n" + raft::DescribeMessage(m) + "\n");
  m.responses = std::move(responses);
  return m;
}

// The work is done: its responses may be delivered.
void Release(InteractionEnv& env, std::vector<raftpb::Message>& responses) {
  env.Write("Responses:\n");
  for (raftpb::Message& r : responses) {
    env.Write(raft::DescribeMessage(r) + "\n");
    env.messages.push_back(std::move(r));
  }
}

}  // namespace

base::Status InteractionEnv::ProcessAppendThread(uint64_t id) {
  Node& n = node(id);
  std::optional<raftpb::Message> m = TakeWork(*this, n.append_work, "append");
  if (!m) return {};
  raftpb::HardState hs{m->term, m->vote, m->commit};
  CAIRN_RETURN_IF_ERROR(
      Persist(n, hs, m->snapshot ? &*m->snapshot : nullptr, m->entries));
  Release(*this, m->responses);
  return {};
}

base::Status InteractionEnv::ProcessApplyThread(uint64_t id) {
  Node& n = node(id);
  std::optional<raftpb::Message> m = TakeWork(*this, n.apply_work, "apply");
  if (!m) return {};
  CAIRN_RETURN_IF_ERROR(ApplyConfChanges(n, m->entries));
  Release(*this, m->responses);
  return {};
}

base::Status HandleProcessStorageThread(InteractionEnv& env,
                                        const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, NodeIds(env, d));
  const bool append = d.cmd == "process-append-thread";
  for (uint64_t id : ids) {
    base::Status s;
    auto run = [&] {
      s = append ? env.ProcessAppendThread(id) : env.ProcessApplyThread(id);
    };
    if (ids.size() > 1) {
      env.Write("> " + std::to_string(id) + " processing " +
                (append ? "append" : "apply") + " thread\n");
      env.WithIndent(run);
    } else {
      run();
    }
    CAIRN_RETURN_IF_ERROR(s);
  }
  return {};
}

}  // namespace raft_test
