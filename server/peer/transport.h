#pragma once

// Transport: how one member's raft messages reach the other members
// (docs/peer-protocol.md has the bytes).
//
//   member A                                         member B
//   Send(msgs to B) ─> Peer B: bounded queue ─TCP─> listener ─> on_message
//                      (one outgoing stream          (handshake checked:
//                       per peer, dialed by A,        cluster ID, target)
//                       reconnect with backoff)
//   Send(MsgSnap to B) ─> snapshot sender ─TCP (own connection)─> receiver:
//                      file read in chunks           chunks to a temp file,
//                      ReportSnapshot on the end     CRC checked, renamed into
//                                                    the snap dir, then the
//                                                    MsgSnap is delivered
//
// Each member dials every peer it knows once per direction: A's messages to
// B travel on the connection A dialed, B's to A on the one B dialed. The
// first frame on a connection is a handshake (cluster ID, sender and target
// member IDs, the sender's name and client URLs); the acceptor answers with
// a verdict. A member of another cluster, a connection meant for another
// member, and a sender this member knows as removed are refused with a log
// line on both sides; garbage on the peer port closes that connection only.
//
// Delivery is best effort, as raft expects: a message for a peer that is not
// connected, or whose queue is over `max_queued_bytes`, is dropped and the
// peer reported through on_unreachable (RawNode::ReportUnreachable), so the
// leader probes it again instead of pipelining into the void. Appends to a
// connected peer are pipelined: frames are written as they come, without
// waiting for answers. A slow peer fills only its own queue; the loop never
// blocks on a socket or on a snapshot file (file I/O runs on libuv's pool).
//
// The handshake also tells each member the name and client URLs of the
// members that dial it (Attributes()): MemberList reports them for
// `etcdctl endpoint status --cluster`.
//
// Thread safety: loop thread only. Callbacks run on the loop thread, never
// from inside a call into the Transport.

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "server/config/url.h"

namespace server::peer {

// What a member learned from a peer's handshake.
struct PeerAttributes {
  std::string name;
  std::vector<std::string> client_urls;
};

// Counters for logs, tests and metrics. Monotonic.
struct TransportStats {
  uint64_t messages_sent = 0;        // Handed to a connected peer's socket.
  uint64_t messages_dropped = 0;     // Peer down or queue full.
  uint64_t messages_received = 0;    // Delivered to on_message.
  uint64_t connections_refused = 0;  // Inbound handshakes refused.
  uint64_t snapshots_sent = 0;
  uint64_t snapshots_failed = 0;  // Outgoing transfers that failed.
  uint64_t snapshots_received = 0;
};

struct TransportOptions {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;
  // Sent in the handshake: this member's --name and advertised client URLs.
  std::string name;
  std::vector<std::string> client_urls;
  // --listen-peer-urls (IP literals or "localhost"; port 0 picks a free
  // port, see listen_ports()). Empty: no listener (tests).
  std::vector<Url> listen_urls;
  // The snapshot directory (<data-dir>/member/snap): an outgoing MsgSnap
  // streams the file SnapshotFileName(term, index) found here; an incoming
  // snapshot is received into "<name>.recv.tmp" here (removed by
  // Snapshotter::Init after a crash) and renamed to "<name>" once complete.
  std::string snap_dir;

  // Bytes an outgoing stream may hold in userspace before messages to that
  // peer are dropped (and the peer reported unreachable).
  size_t max_queued_bytes = 16u << 20;
  // Largest frame accepted; a larger length prefix closes the connection.
  uint32_t max_frame_bytes = 64u << 20;
  // Reconnect backoff: doubles from min to max after each failed dial.
  uint64_t min_backoff_ms = 50;
  uint64_t max_backoff_ms = 1000;
  uint64_t dial_timeout_ms = 1000;
  // An inbound connection must complete its handshake within this.
  uint64_t handshake_timeout_ms = 5000;
  // A snapshot transfer that makes no progress for this long fails.
  uint64_t snapshot_idle_timeout_ms = 10000;
  // A Call() not answered within this fails (and its connection closes).
  uint64_t request_timeout_ms = 3000;

  // A message from a peer, already checked to come from the member the
  // connection was opened by and to be addressed to this member. Incoming
  // MsgSnap arrive here only after their file is in snap_dir. Required.
  std::function<void(raftpb::Message)> on_message;
  // Messages to `id` were dropped (RawNode::ReportUnreachable).
  std::function<void(uint64_t id)> on_unreachable;
  // A snapshot transfer to `id` ended (RawNode::ReportSnapshot).
  std::function<void(uint64_t id, bool ok)> on_snapshot_status;
  // Optional: true for member IDs removed from the cluster; their
  // connections are refused with "member removed".
  std::function<bool(uint64_t id)> is_removed;
  // Optional: a peer refused us because it knows this member as removed
  // (etcd: "the member has been permanently removed from the cluster").
  std::function<void(uint64_t by_peer)> on_removed;
  // Optional: a request a peer sent with Call(); `reply` sends the answer
  // (at most once, at any later time on the loop thread; dropped if the
  // connection is gone by then). Without it, request streams are refused.
  std::function<void(uint64_t from, std::string body,
                     std::function<void(std::string answer)> reply)>
      on_request;
  // Optional: the member list a joining member asks for (a serialized
  // cairnpb.Membership; docs/peer-protocol.md, "Member list"). Without it
  // such requests are refused.
  std::function<std::string()> members;
};

class Transport {
 public:
  // Listens on every listen URL. Errors name the address ("bind
  // 127.0.0.1:2380: EADDRINUSE"); on error nothing stays open.
  static base::Result<std::unique_ptr<Transport>> Start(
      uv_loop_t* loop, TransportOptions options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Starts dialing member `id` at the first usable URL of `peer_urls`
  // (others are tried in turn after failures). INVALID_ARGUMENT for id 0,
  // this member's own id, or no URL with an IP literal / "localhost" host;
  // ALREADY_EXISTS if `id` is a peer already.
  base::Status AddPeer(uint64_t id, const std::vector<Url>& peer_urls);
  // Closes the connections to and from `id`, drops its queue and aborts a
  // snapshot transfer to it (no on_snapshot_status after this). NOT_FOUND if
  // unknown.
  base::Status RemovePeer(uint64_t id);
  // Replaces `id`'s URLs; the outgoing connection is redialed at the new
  // address. NOT_FOUND if unknown, INVALID_ARGUMENT as AddPeer.
  base::Status UpdatePeer(uint64_t id, const std::vector<Url>& peer_urls);
  bool HasPeer(uint64_t id) const;

  // Queues each message for its `to` member. Messages to unknown members
  // are dropped (logged once per member). MsgSnap starts a snapshot transfer
  // (one per peer at a time; another MsgSnap meanwhile is dropped and
  // reported as a failed snapshot).
  void Send(std::vector<raftpb::Message> msgs);

  // Sends `body` to member `id`'s on_request on a request stream of its own
  // (dialed on first use, kept open) and hands its answer to `done`.
  // UNAVAILABLE when `id` is not a peer, cannot be reached, or does not
  // answer within request_timeout_ms. `done` runs from a fresh loop
  // callback, and not at all once the Transport is closed.
  using CallDoneFn = std::function<void(base::Result<std::string> answer)>;
  void Call(uint64_t id, std::string body, CallDoneFn done);
  // Replaces TransportOptions::on_request (for owners that create the
  // request handler after the transport).
  void SetOnRequest(decltype(TransportOptions::on_request) on_request);

  // uv_now() when the outgoing stream to `id` last completed its handshake,
  // or 0 if it is not connected now (etcd's ActiveSince).
  uint64_t ActiveSince(uint64_t id) const;
  // What `id` said of itself in its last handshake to us.
  std::optional<PeerAttributes> Attributes(uint64_t id) const;
  // The bound port of each listen URL, in order.
  std::vector<uint16_t> listen_ports() const;
  const TransportStats& stats() const;

  // Closes the listeners and every connection; aborts transfers (no more
  // callbacks). `done` runs once every handle is closed.
  void Close(std::function<void()> done);

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace server::peer
