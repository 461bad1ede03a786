#include "proto/raftpb/raftpb.h"

#include <cstring>
#include <new>

namespace raftpb {

Payload::Payload(std::string_view bytes) {
  if (bytes.empty()) return;
  void* mem = ::operator new(sizeof(Rep) + bytes.size());
  rep_ = new (mem) Rep{{1}, bytes.size()};
  std::memcpy(reinterpret_cast<char*>(rep_ + 1), bytes.data(), bytes.size());
}

void Payload::Free(Rep* rep) {
  rep->~Rep();
  ::operator delete(rep);
}

namespace {

constexpr const char* kMessageTypeNames[kNumMessageTypes] = {
    "MsgHup",
    "MsgBeat",
    "MsgProp",
    "MsgApp",
    "MsgAppResp",
    "MsgVote",
    "MsgVoteResp",
    "MsgSnap",
    "MsgHeartbeat",
    "MsgHeartbeatResp",
    "MsgUnreachable",
    "MsgSnapStatus",
    "MsgCheckQuorum",
    "MsgTransferLeader",
    "MsgTimeoutNow",
    "MsgReadIndex",
    "MsgReadIndexResp",
    "MsgPreVote",
    "MsgPreVoteResp",
    "MsgStorageAppend",
    "MsgStorageAppendResp",
    "MsgStorageApply",
    "MsgStorageApplyResp",
};

}  // namespace

std::string MessageTypeName(MessageType type) {
  int t = static_cast<int>(type);
  if (t >= 0 && t < kNumMessageTypes) return kMessageTypeNames[t];
  return "MessageType(" + std::to_string(t) + ")";
}

const char* MessageTypeCName(MessageType type) {
  int t = static_cast<int>(type);
  if (t >= 0 && t < kNumMessageTypes) return kMessageTypeNames[t];
  return "MsgUnknown";
}

std::string EntryTypeName(EntryType type) {
  switch (type) {
    case kEntryNormal:
      return "EntryNormal";
    case kEntryConfChange:
      return "EntryConfChange";
    case kEntryConfChangeV2:
      return "EntryConfChangeV2";
  }
  return "EntryType(" + std::to_string(static_cast<int>(type)) + ")";
}

bool ConfChangeV2::EnterJoint(bool* auto_leave) const {
  // A change with more than one single change, or an explicit joint
  // transition, enters a joint configuration (etcd's EnterJoint).
  if (transition != kConfChangeTransitionAuto || changes.size() > 1) {
    switch (transition) {
      case kConfChangeTransitionAuto:
      case kConfChangeTransitionJointImplicit:
        *auto_leave = true;
        break;
      case kConfChangeTransitionJointExplicit:
        *auto_leave = false;
        break;
    }
    return true;
  }
  *auto_leave = false;
  return false;
}

}  // namespace raftpb
