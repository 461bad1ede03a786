#pragma once

// raftpb: the values raft exchanges with its host and with its peers.
//
// Plain C++ value types with etcd/raft's names (raftpb.Entry, raftpb.Message,
// ...). They carry no I/O; proto/raftpb/codec.h turns them into protobuf wire
// bytes (the format is documented in proto/raftpb/raft.proto) and back.
//
// Byte payloads (entry data, message context, snapshot data) are Payloads:
// immutable, reference-counted buffers. Copying an Entry or a Message copies
// a pointer and bumps a counter; the bytes are allocated once, when the
// application hands them over, and freed when the last copy goes away. So
// the same payload can sit in the unstable log, in MsgApps to three
// followers and in a Ready without being copied.
//
// Thread safety: values. A Payload's counter is atomic, so copies of one
// Payload may live and die on different threads (the host's storage and
// apply threads); the bytes are never written after construction.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raftpb {

// Payload: immutable bytes with shared ownership. Empty payloads allocate
// nothing. Compares by content.
class Payload {
 public:
  Payload() = default;
  // Copies `bytes` into one new allocation (none when empty).
  Payload(std::string_view bytes);   // NOLINT(google-explicit-constructor)
  Payload(const std::string& bytes)  // NOLINT(google-explicit-constructor)
      : Payload(std::string_view(bytes)) {}
  Payload(const char* bytes)  // NOLINT(google-explicit-constructor)
      : Payload(std::string_view(bytes)) {}

  Payload(const Payload& other) noexcept : rep_(other.rep_) { Ref(); }
  Payload(Payload&& other) noexcept
      : rep_(std::exchange(other.rep_, nullptr)) {}
  Payload& operator=(const Payload& other) noexcept {
    if (rep_ != other.rep_) {
      Unref();
      rep_ = other.rep_;
      Ref();
    }
    return *this;
  }
  Payload& operator=(Payload&& other) noexcept {
    if (this != &other) {
      Unref();
      rep_ = std::exchange(other.rep_, nullptr);
    }
    return *this;
  }
  ~Payload() { Unref(); }

  const char* data() const {
    return rep_ == nullptr ? "" : reinterpret_cast<const char*>(rep_ + 1);
  }
  size_t size() const { return rep_ == nullptr ? 0 : rep_->size; }
  bool empty() const { return size() == 0; }
  std::string_view view() const { return {data(), size()}; }
  std::string ToString() const { return std::string(view()); }
  // How many Payloads share these bytes (0 when empty). For tests.
  uint32_t use_count() const {
    return rep_ == nullptr ? 0 : rep_->refs.load(std::memory_order_relaxed);
  }

  friend bool operator==(const Payload& a, const Payload& b) {
    return a.view() == b.view();
  }
  friend bool operator==(const Payload& a, std::string_view b) {
    return a.view() == b;
  }
  friend bool operator==(const Payload& a, const char* b) {
    return a.view() == std::string_view(b);
  }
  friend bool operator==(const Payload& a, const std::string& b) {
    return a.view() == std::string_view(b);
  }

 private:
  struct Rep {
    std::atomic<uint32_t> refs;
    size_t size;
    // The bytes follow the header in the same allocation.
  };
  void Ref() const {
    if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void Unref() {
    if (rep_ != nullptr &&
        rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Free(rep_);
    }
    rep_ = nullptr;
  }
  static void Free(Rep* rep);

  Rep* rep_ = nullptr;
};

enum class EntryType : int32_t {
  kEntryNormal = 0,
  kEntryConfChange = 1,    // data is an encoded ConfChange.
  kEntryConfChangeV2 = 2,  // data is an encoded ConfChangeV2.
};
using enum EntryType;

// Entry: one slot of the replicated log.
struct Entry {
  uint64_t term = 0;   // The leader's term when the entry was proposed.
  uint64_t index = 0;  // Position in the log; the first entry has index 1.
  EntryType type = kEntryNormal;
  Payload data;  // Opaque to raft; empty for the leader's no-op entry.

  friend bool operator==(const Entry&, const Entry&) = default;
};

// The raft state that must be durable before messages depending on it are
// sent: current term, vote in that term (0 = none), and commit index.
struct HardState {
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;

  friend bool operator==(const HardState&, const HardState&) = default;
};

// ConfState: the membership configuration as of some log index. In a joint
// configuration (thesis 4.3) voters_outgoing is non-empty.
struct ConfState {
  std::vector<uint64_t> voters;           // The incoming voters.
  std::vector<uint64_t> learners;         // Learners (non-voting).
  std::vector<uint64_t> voters_outgoing;  // Outgoing voters (joint only).
  // Nodes that become learners when the joint configuration is left; they
  // are outgoing voters until then.
  std::vector<uint64_t> learners_next;
  // When true, the leader leaves the joint configuration automatically.
  bool auto_leave = false;

  friend bool operator==(const ConfState&, const ConfState&) = default;
};

struct SnapshotMetadata {
  ConfState conf_state;  // Membership as of `index`.
  uint64_t index = 0;    // Last log index the snapshot covers.
  uint64_t term = 0;     // Term of the entry at `index`.

  friend bool operator==(const SnapshotMetadata&,
                         const SnapshotMetadata&) = default;
};

struct Snapshot {
  Payload data;  // The application's state machine image; opaque to raft.
  SnapshotMetadata metadata;

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// Message types, with etcd/raft's names and numbers. "Local" types never
// cross the network: the host (MsgHup, MsgBeat, MsgUnreachable,
// MsgSnapStatus, MsgCheckQuorum) or raft itself (MsgStorage*) uses them.
enum class MessageType : int32_t {
  kMsgHup = 0,              // Local: start an election.
  kMsgBeat = 1,             // Local: leader sends heartbeats.
  kMsgProp = 2,             // Proposal of entries.
  kMsgApp = 3,              // AppendEntries.
  kMsgAppResp = 4,          // AppendEntries response.
  kMsgVote = 5,             // RequestVote.
  kMsgVoteResp = 6,         // RequestVote response.
  kMsgSnap = 7,             // InstallSnapshot.
  kMsgHeartbeat = 8,        // Heartbeat (carries commit).
  kMsgHeartbeatResp = 9,    // Heartbeat response.
  kMsgUnreachable = 10,     // Local: a peer could not be reached.
  kMsgSnapStatus = 11,      // Local: outcome of sending a snapshot.
  kMsgCheckQuorum = 12,     // Local: leader checks its quorum.
  kMsgTransferLeader = 13,  // Leadership transfer request.
  kMsgTimeoutNow = 14,      // Transferee must campaign now.
  kMsgReadIndex = 15,       // ReadIndex request.
  kMsgReadIndexResp = 16,   // ReadIndex response.
  kMsgPreVote = 17,         // PreVote request (thesis 9.6).
  kMsgPreVoteResp = 18,     // PreVote response.
  kMsgStorageAppend = 19,   // Local: async writes, to the append thread.
  kMsgStorageAppendResp = 20,
  kMsgStorageApply = 21,  // Local: async writes, to the apply thread.
  kMsgStorageApplyResp = 22,
};
using enum MessageType;
inline constexpr int kNumMessageTypes = 23;

// "MsgApp", ... ; "MessageType(<n>)" for values out of range.
std::string MessageTypeName(MessageType type);
// The same as a C string literal ("MsgUnknown" out of range), for logging.
const char* MessageTypeCName(MessageType type);
std::string EntryTypeName(EntryType type);

// Message: everything raft sends and receives. Which fields are meaningful
// depends on `type`; unused fields stay zero/empty.
struct Message {
  MessageType type = kMsgHup;
  uint64_t to = 0;
  uint64_t from = 0;
  uint64_t term = 0;  // Sender's term; 0 for local messages.
  // MsgApp: term of the entry at `index` (the entry before `entries`).
  // Vote requests: term of the candidate's last entry.
  uint64_t log_term = 0;
  // MsgApp: index of the entry preceding `entries`. MsgAppResp: the last
  // index the follower matched (or, when rejecting, the rejected index).
  // Vote requests: the candidate's last index.
  uint64_t index = 0;
  std::vector<Entry> entries;
  uint64_t commit = 0;
  // MsgStorageAppend: the vote to persist (with term and commit).
  uint64_t vote = 0;
  std::optional<Snapshot> snapshot;  // MsgSnap, MsgStorageAppend.
  bool reject = false;
  // MsgAppResp with reject: the follower's hint for the next probe index.
  uint64_t reject_hint = 0;
  Payload context;  // Campaign type for votes; request ctx for ReadIndex.
  // MsgStorageAppend / MsgStorageApply: the messages to deliver once the
  // write or apply is done.
  std::vector<Message> responses;

  friend bool operator==(const Message&, const Message&) = default;
};

enum class ConfChangeType : int32_t {
  kConfChangeAddNode = 0,
  kConfChangeRemoveNode = 1,
  kConfChangeUpdateNode = 2,
  kConfChangeAddLearnerNode = 3,
};
using enum ConfChangeType;

// How a ConfChangeV2 moves between configurations (thesis 4.3).
enum class ConfChangeTransition : int32_t {
  // Simple change when possible (one voter changes), else joint with auto
  // leave.
  kConfChangeTransitionAuto = 0,
  // Joint consensus, left automatically once the change is committed.
  kConfChangeTransitionJointImplicit = 1,
  // Joint consensus, left only by an explicit empty ConfChangeV2.
  kConfChangeTransitionJointExplicit = 2,
};
using enum ConfChangeTransition;

struct ConfChangeSingle {
  ConfChangeType type = kConfChangeAddNode;
  uint64_t node_id = 0;

  friend bool operator==(const ConfChangeSingle&,
                         const ConfChangeSingle&) = default;
};

struct ConfChangeV2 {
  ConfChangeTransition transition = kConfChangeTransitionAuto;
  std::vector<ConfChangeSingle> changes;
  Payload context;

  // True when this change leaves a joint configuration (no changes, auto
  // transition; the context does not matter).
  bool LeaveJoint() const {
    return changes.empty() && transition == kConfChangeTransitionAuto;
  }
  // True when applying it enters a joint configuration; `*auto_leave` says
  // whether it is left automatically.
  bool EnterJoint(bool* auto_leave) const;

  friend bool operator==(const ConfChangeV2&, const ConfChangeV2&) = default;
};

// The original single-change format (EntryConfChange).
struct ConfChange {
  ConfChangeType type = kConfChangeAddNode;
  uint64_t node_id = 0;
  Payload context;
  uint64_t id = 0;  // Unused by raft; kept for etcd's format.

  // The same change as a ConfChangeV2.
  ConfChangeV2 AsV2() const {
    ConfChangeV2 cc;
    cc.changes.push_back({type, node_id});
    cc.context = context;
    return cc;
  }

  friend bool operator==(const ConfChange&, const ConfChange&) = default;
};

inline bool IsEmptyHardState(const HardState& st) { return st == HardState{}; }
inline bool IsEmptySnap(const Snapshot& sp) { return sp.metadata.index == 0; }

// Number of bytes of a protobuf varint encoding v.
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// EntrySize: the entry's encoded size in bytes (codec.h's EncodeEntry
// produces exactly this many). Raft measures max_size_per_msg,
// max_committed_size_per_ready and in-flight bytes with it.
inline size_t EntrySize(const Entry& e) {
  size_t n = 0;
  if (e.type != kEntryNormal)
    n += 1 + VarintSize(static_cast<uint64_t>(e.type));
  if (e.term != 0) n += 1 + VarintSize(e.term);
  if (e.index != 0) n += 1 + VarintSize(e.index);
  if (!e.data.empty()) n += 1 + VarintSize(e.data.size()) + e.data.size();
  return n;
}

// PayloadSize: bytes of the entry's data alone. Raft measures
// max_uncommitted_entries_size with it (etcd does the same).
inline size_t PayloadSize(const Entry& e) { return e.data.size(); }

}  // namespace raftpb
