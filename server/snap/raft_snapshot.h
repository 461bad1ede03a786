#pragma once

// Raft snapshots as snapshot files: the file's metadata section holds the
// protobuf-encoded raftpb::SnapshotMetadata (conf state, index, term), its
// payload the state machine image (raftpb::Snapshot::data).
//
// Thread safety: as Snapshotter (the caller's storage thread).

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "server/snap/snapshotter.h"

namespace server::snap {

// Saves snapshot file (md.term, md.index) with `payload` as its image.
base::Status SaveRaftSnapshot(Snapshotter* snapshotter,
                              const raftpb::SnapshotMetadata& md,
                              std::string_view payload);

// Same, with the image streamed from the file at payload_path (e.g. a copy
// of the SQLite database).
base::Status SaveRaftSnapshotFromFile(Snapshotter* snapshotter,
                                      const raftpb::SnapshotMetadata& md,
                                      const std::string& payload_path);

// Turns a loaded file into a raftpb::Snapshot: decodes the metadata and
// checks that its index and term match the file's. The payload is moved into
// Snapshot::data (empty if it was streamed to a file). DATA_LOSS, naming the
// file, when the metadata does not decode or does not match.
base::Result<raftpb::Snapshot> ToRaftSnapshot(LoadedSnapshot loaded);

}  // namespace server::snap
