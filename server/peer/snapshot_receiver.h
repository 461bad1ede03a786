#pragma once

// SnapshotReceiver: the receiving end of a snapshot stream (internal to
// server/peer). After the handshake the sender sends
//
//   frame: the MsgSnap (raftpb::Message; its snapshot holds metadata only)
//   frame: the file size, u64 little-endian
//   raw:   the snapshot file, byte for byte (server/snap's format)
//
// The file goes to "<snap_dir>/<name>.recv.tmp" in chunks written on the
// transport's I/O thread; reading pauses while more than a few MiB wait for
// the disk, so memory stays bounded whatever the snapshot's size. At the end
// the file's CRC-32C trailer and header (term, index) are checked, the file
// is fsynced and renamed to "<snap_dir>/<name>", a verdict frame tells the
// sender the outcome and the MsgSnap is delivered to on_message: raft then
// finds the state machine image where the node looks for it.
//
// Thread safety: loop thread only (file work runs on Context::io).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "server/peer/context.h"
#include "server/peer/frame.h"

namespace server::peer::internal {

class SnapshotReceiver {
 public:
  struct Hooks {
    // Stop / restart reading from the socket (backpressure).
    std::function<void(bool pause)> pause;
    // The transfer ended: write `verdict` to the sender, then (if accepted)
    // deliver `msg`. On a protocol error `verdict` is kBadRequest.
    std::function<void(const Verdict& verdict, raftpb::Message msg)> done;
  };
  SnapshotReceiver(Context* ctx, uint64_t from, Hooks hooks);
  // Aborts an unfinished transfer (its temp file is removed).
  ~SnapshotReceiver();
  SnapshotReceiver(const SnapshotReceiver&) = delete;
  SnapshotReceiver& operator=(const SnapshotReceiver&) = delete;

  // Feeds bytes read after the handshake. Returns an error when they break
  // the protocol (the caller closes the connection).
  base::Status Feed(FrameReader* reader, std::string_view data);

 private:
  struct File;
  base::Status OnFrame(const std::string& body);
  void MaybeSubmit();
  void Finish();

  Context* const ctx_;
  const uint64_t from_;
  Hooks hooks_;
  AliveToken alive_ = std::make_shared<int>(0);
  raftpb::Message msg_;
  bool have_msg_ = false;
  bool have_size_ = false;
  uint64_t size_ = 0;
  uint64_t received_ = 0;
  std::string pending_;  // Received, not yet handed to the I/O thread.
  bool job_in_flight_ = false;
  bool finishing_ = false;
  bool finished_ = false;
  std::shared_ptr<File> file_;
};

}  // namespace server::peer::internal
