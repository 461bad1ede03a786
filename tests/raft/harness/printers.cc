#include "tests/raft/harness/printers.h"

#include "raft/util.h"

namespace raftpb {

void PrintTo(const Message& m, std::ostream* os) {
  *os << raft::DescribeMessage(m);
}

void PrintTo(const Entry& e, std::ostream* os) {
  *os << raft::DescribeEntry(e);
}

void PrintTo(const HardState& hs, std::ostream* os) {
  *os << raft::DescribeHardState(hs);
}

}  // namespace raftpb

namespace raft {
void PrintTo(StateType s, std::ostream* os) { *os << StateTypeName(s); }
}  // namespace raft
