#pragma once

// UvHandle<T>: owns one heap-allocated libuv handle (uv_tcp_t, uv_timer_t,
// uv_async_t...) and applies libuv's lifetime rule: handle memory is freed
// only from its close callback onward, never while the handle is live
// (libuv docs/src/design.rst, "Handles").
//
// Usage:
//   UvHandle<uv_timer_t> timer;
//   int rc = uv_timer_init(loop, timer.get());
//   if (rc < 0) return UvStatus(rc, "timer init");   // ~UvHandle deletes it
//   timer.MarkInitialized();
//   timer->data = this;        // the owner's pointer, for callbacks
//   ...
//   timer.Close();             // uv_close; memory freed in the close_cb
//
// Destroying a UvHandle whose handle is live closes it (the close callback
// frees it later; the owner's `data` is cleared so no stale pointer leaks
// into libuv). Close(on_closed) also reports when the close callback ran,
// unless the UvHandle is destroyed first.
//
// Thread safety: loop thread only, like the handle itself.

#include <uv.h>

#include <functional>
#include <utility>

namespace server::net {

template <typename T>
class UvHandle {
 public:
  UvHandle() : live_(new T{}) {}
  ~UvHandle() {
    if (closing_ != nullptr) closing_->data = nullptr;  // Detach.
    on_closed_ = nullptr;
    CloseImpl(nullptr);
  }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;

  // The handle, or nullptr once Close() was called.
  T* get() const { return live_; }
  T* operator->() const { return live_; }
  uv_handle_t* handle() const { return reinterpret_cast<uv_handle_t*>(live_); }
  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(live_); }

  // Records that uv_*_init succeeded, so Close must go through uv_close.
  // Before that the memory is simply deleted.
  void MarkInitialized() { initialized_ = true; }
  bool initialized() const { return initialized_; }
  // True from Close() until the close callback ran (or forever, once detached).
  bool closing() const { return live_ == nullptr; }

  // Starts closing. `on_closed` (optional) runs from the close callback, in a
  // fresh loop callback frame, so it may destroy this UvHandle's owner. It
  // does not run if this UvHandle is destroyed first, nor for a handle that
  // was never initialized (then the memory is freed at once).
  // No-op when already closing.
  void Close(std::function<void()> on_closed = nullptr) {
    CloseImpl(std::move(on_closed));
  }

 private:
  void CloseImpl(std::function<void()> on_closed) {
    T* h = live_;
    if (h == nullptr) return;
    live_ = nullptr;
    if (!initialized_) {
      delete h;
      return;
    }
    auto* uvh = reinterpret_cast<uv_handle_t*>(h);
    if (on_closed) {
      on_closed_ = std::move(on_closed);
      closing_ = uvh;
      uvh->data = this;
    } else {
      uvh->data = nullptr;
    }
    uv_close(uvh, &UvHandle::OnClose);
  }

  static void OnClose(uv_handle_t* h) {
    auto* self = static_cast<UvHandle*>(h->data);
    delete reinterpret_cast<T*>(h);
    if (self == nullptr) return;
    self->closing_ = nullptr;
    std::function<void()> cb = std::move(self->on_closed_);
    if (cb) cb();  // Last: may destroy self.
  }

  T* live_;                         // Owned; nullptr once closing.
  uv_handle_t* closing_ = nullptr;  // Closing, close_cb pending, observed.
  bool initialized_ = false;
  std::function<void()> on_closed_;
};

}  // namespace server::net
