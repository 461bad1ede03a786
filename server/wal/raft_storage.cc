#include "server/wal/raft_storage.h"

#include <algorithm>
#include <string>

namespace server::wal {

base::Status LoadIntoMemoryStorage(const raftpb::Snapshot& snapshot,
                                   const WalContents& contents,
                                   raft::MemoryStorage* storage) {
  const raftpb::SnapshotMetadata& md = snapshot.metadata;
  if (contents.start != WalSnapshot{md.index, md.term}) {
    return base::Status::InvalidArgument(
        "wal: contents start at index " + std::to_string(contents.start.index) +
        " but the snapshot is at " + std::to_string(md.index));
  }
  if (!raftpb::IsEmptySnap(snapshot)) {
    CAIRN_RETURN_IF_ERROR(storage->ApplySnapshot(snapshot));
  }
  uint64_t last =
      contents.entries.empty() ? md.index : contents.entries.back().index;
  raftpb::HardState hs = contents.hard_state;
  if (!raftpb::IsEmptyHardState(hs) || md.index > 0) {
    hs.commit = std::max(hs.commit, md.index);
    if (hs.commit > last) {
      return base::Status::DataLoss(
          "wal: hard state commit " + std::to_string(hs.commit) +
          " is past the last entry " + std::to_string(last));
    }
    storage->SetHardState(hs);
  }
  if (!contents.entries.empty()) {
    CAIRN_RETURN_IF_ERROR(storage->Append(contents.entries));
  }
  return base::Status::OK();
}

}  // namespace server::wal
