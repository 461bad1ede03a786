#pragma once

// ByteStream: the small interface every connection's byte transport
// implements — plain TCP now (TcpStream), TLS later — so the HTTP/2 session,
// the HTTP/1.1 parser and the peer transport never see a socket.
//
// Contract (loop thread only, like everything in server/):
// - Start(delegate) begins reading; bytes arrive through Delegate::OnRead in
//   order. SetDelegate switches the receiver (protocol detection hands the
//   stream from the sniffer to the HTTP/2 or HTTP/1.1 handler).
// - Write queues bytes; they go out in order. A write error closes the
//   stream with that error.
// - Shutdown() closes once the queued bytes are written; Close() closes now
//   and drops them.
// - Delegate::OnClosed runs exactly once per Start()ed stream, from a fresh
//   loop callback (never from inside Write/Close/OnRead), so the delegate may
//   destroy the stream and itself there. No other callback runs after it.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace server::net {

class ByteStream {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    // `data` is valid only during the call. Non-empty.
    virtual void OnRead(std::string_view data) = 0;
    // The peer closed its sending side. Queued writes still go out; the
    // delegate decides when to Shutdown().
    virtual void OnEof() = 0;
    // Every queued byte has been handed to the kernel.
    virtual void OnWriteDrained() {}
    // The stream is closed: `reason` is OK after a local Close/Shutdown, or
    // the read/write error that closed it.
    virtual void OnClosed(const base::Status& reason) = 0;
  };

  ByteStream() = default;
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;
  // Destroying a stream closes it without calling the delegate.
  virtual ~ByteStream() = default;

  // REQUIRES: not closed; delegate outlives the stream or its OnClosed.
  virtual void Start(Delegate* delegate) = 0;
  virtual void SetDelegate(Delegate* delegate) = 0;
  // Stops / resumes OnRead delivery (backpressure). Idempotent.
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;

  // Queues `bytes`. Ignored once closing.
  virtual void Write(std::string bytes) = 0;
  // Bytes queued but not yet written.
  virtual size_t queued_bytes() const = 0;

  virtual void Shutdown() = 0;
  virtual void Close() = 0;
  virtual bool closing() const = 0;

  // "127.0.0.1:53412", for logs.
  virtual const std::string& peer_address() const = 0;
};

}  // namespace server::net
