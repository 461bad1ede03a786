// log-level debug|info|warn|error|none: the lowest level of node log lines
// written to the output.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleLogLevel(InteractionEnv& env,
                            const datadriven::TestData& d) {
  if (d.cmd_args.size() != 1 || !d.cmd_args[0].vals.empty()) {
    return base::Status::InvalidArgument("usage: log-level <level>");
  }
  CAIRN_ASSIGN_OR_RETURN(env.log_level, ParseLogLevel(d.cmd_args[0].key));
  return {};
}

}  // namespace raft_test
