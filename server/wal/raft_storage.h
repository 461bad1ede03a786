#pragma once

// Loading what the WAL and the snapshot files hold into raft's
// MemoryStorage on restart (the way etcd fills raft.MemoryStorage from its
// WAL): the snapshot first, then the hard state, then the entries after it.
//
// Thread safety: none; call before the node starts.

#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "raft/storage.h"
#include "server/wal/wal.h"

namespace server::wal {

// Loads `snapshot` (may be empty: no snapshot) and `contents` into a fresh
// `storage`. REQUIRES: contents.StartAt() was called with the snapshot's
// (index, term); otherwise returns INVALID_ARGUMENT. The hard state's
// commit is raised to the snapshot index if it is below it (the snapshot
// proves those entries committed), and must not exceed the last entry
// (DATA_LOSS otherwise).
base::Status LoadIntoMemoryStorage(const raftpb::Snapshot& snapshot,
                                   const WalContents& contents,
                                   raft::MemoryStorage* storage);

}  // namespace server::wal
