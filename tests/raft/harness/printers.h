#pragma once

// GoogleTest printers for raftpb values, so a failed EXPECT_EQ on messages
// or entries shows "1->2 MsgApp Term:1 Log:1/2 ..." instead of bytes.
// Found by argument-dependent lookup, hence in namespace raftpb.

#include <ostream>

#include "proto/raftpb/raftpb.h"

namespace raftpb {

void PrintTo(const Message& m, std::ostream* os);
void PrintTo(const Entry& e, std::ostream* os);
void PrintTo(const HardState& hs, std::ostream* os);

}  // namespace raftpb

namespace raft {
enum class StateType;
void PrintTo(StateType s, std::ostream* os);
}  // namespace raft
