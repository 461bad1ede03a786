#include "server/snap/raft_snapshot.h"

#include <utility>

#include "proto/raftpb/codec.h"

namespace server::snap {

base::Status SaveRaftSnapshot(Snapshotter* snapshotter,
                              const raftpb::SnapshotMetadata& md,
                              std::string_view payload) {
  std::string metadata;
  raftpb::EncodeSnapshotMetadata(md, &metadata);
  return snapshotter->Save(md.term, md.index, metadata, payload);
}

base::Status SaveRaftSnapshotFromFile(Snapshotter* snapshotter,
                                      const raftpb::SnapshotMetadata& md,
                                      const std::string& payload_path) {
  std::string metadata;
  raftpb::EncodeSnapshotMetadata(md, &metadata);
  return snapshotter->SaveFromFile(md.term, md.index, metadata, payload_path);
}

base::Result<raftpb::Snapshot> ToRaftSnapshot(LoadedSnapshot loaded) {
  base::Result<raftpb::SnapshotMetadata> md =
      raftpb::DecodeSnapshotMetadata(loaded.metadata);
  if (!md.ok()) {
    return md.status().Annotate("snap: bad metadata in " + loaded.path);
  }
  if (md->index != loaded.index || md->term != loaded.term) {
    return base::Status::DataLoss("snap: metadata of " + loaded.path +
                                  " names index " + std::to_string(md->index) +
                                  " term " + std::to_string(md->term));
  }
  raftpb::Snapshot snap;
  snap.metadata = std::move(md).value();
  snap.data = raftpb::Payload(loaded.payload);
  return snap;
}

}  // namespace server::snap
