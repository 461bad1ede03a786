// Replacement global operator new/delete that count allocations; see
// alloc_counter.h.
#include "bench/raft/alloc_counter.h"

#include <execinfo.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace bench {
namespace {

uint64_t g_allocs = 0;
uint64_t g_bytes = 0;
bool g_tracing = false;
bool g_in_trace = false;  // backtrace() itself may allocate

void Trace(std::size_t size) {
  if (!g_tracing || g_in_trace) return;
  g_in_trace = true;
  void* frames[8];
  int n = backtrace(frames, 8);
  std::fprintf(stderr, "alloc %zu bytes\n", size);
  // Skip frame 0 (Trace) and 1 (Allocate): start at the operator new caller.
  if (n > 2) backtrace_symbols_fd(frames + 2, n - 2, STDERR_FILENO);
  g_in_trace = false;
}

void* Allocate(std::size_t size, std::size_t align, bool nothrow) {
  if (size == 0) size = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else {
    // aligned_alloc wants size to be a multiple of align.
    p = std::aligned_alloc(align, (size + align - 1) / align * align);
  }
  if (p == nullptr) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  ++g_allocs;
  g_bytes += size;
  Trace(size);
  return p;
}

}  // namespace

AllocStats CurrentAllocStats() { return AllocStats{g_allocs, g_bytes}; }

void SetAllocTracing(bool on) { g_tracing = on; }

}  // namespace bench

constexpr std::size_t kDefaultAlign = alignof(std::max_align_t);

void* operator new(std::size_t size) {
  return bench::Allocate(size, kDefaultAlign, false);
}
void* operator new[](std::size_t size) {
  return bench::Allocate(size, kDefaultAlign, false);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return bench::Allocate(size, kDefaultAlign, true);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return bench::Allocate(size, kDefaultAlign, true);
}
void* operator new(std::size_t size, std::align_val_t align) {
  return bench::Allocate(size, static_cast<std::size_t>(align), false);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return bench::Allocate(size, static_cast<std::size_t>(align), false);
}
void* operator new(std::size_t size, std::align_val_t align,
                   const std::nothrow_t&) noexcept {
  return bench::Allocate(size, static_cast<std::size_t>(align), true);
}
void* operator new[](std::size_t size, std::align_val_t align,
                     const std::nothrow_t&) noexcept {
  return bench::Allocate(size, static_cast<std::size_t>(align), true);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t,
                     const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t,
                       const std::nothrow_t&) noexcept {
  std::free(p);
}
