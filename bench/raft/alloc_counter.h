#pragma once

// Heap allocation counting for benchmarks.
//
// alloc_counter.cc replaces the global operator new/delete family of the
// program it is linked into with counting wrappers around malloc/free. Every
// successful operator new (any form: scalar, array, nothrow, aligned) adds one
// to the allocation count and its requested size to the byte count, which is
// what Go's testing package reports as allocs/op and B/op. operator delete is
// not counted (Go reports neither frees nor the live set).
//
// malloc() calls made directly (not through operator new) are not counted; the
// Cairn raft library does not make any.
//
// Not thread-safe by design: the counters are plain integers so that counting
// adds only a few instructions to each allocation. Only read them from the
// single thread that runs the benchmark loop, and don't use this in programs
// that allocate from several threads at once.

#include <cstdint>

namespace bench {

struct AllocStats {
  uint64_t allocs = 0;  // number of operator new calls
  uint64_t bytes = 0;   // sum of the sizes requested from operator new
};

// Totals since the program started.
AllocStats CurrentAllocStats();

// When tracing is on, every allocation also prints a backtrace (a few frames)
// to stderr. Meant for short debug runs that find where allocations come from.
void SetAllocTracing(bool on);

}  // namespace bench
