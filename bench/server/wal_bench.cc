// WAL micro-benchmarks: append + fdatasync at batch sizes of 1, 10 and 100
// records of 128 bytes (one Sync per batch: the group commit the storage
// thread does), and the raw fdatasync latency of the disk under the WAL
// directory for comparison.
//
//   cmake --build build/h5 --target wal_bench
//   WAL_BENCH_DIR=/path/on/the/disk ./build/h5/bench/server/wal_bench
//
// The directory defaults to $TMPDIR or /tmp. Results: docs/bench/wal.md.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "server/wal/crc32c.h"
#include "server/wal/record_log.h"

namespace {

std::string BenchDir(const char* name) {
  const char* base = std::getenv("WAL_BENCH_DIR");
  if (base == nullptr) base = std::getenv("TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/cairn-wal-bench-" +
                    name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

void BM_AppendSync(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const std::string dir = BenchDir("append");
  server::wal::RecordLogOptions o;
  o.dir = dir;
  o.segment_bytes = 64ull << 20;
  auto log = server::wal::RecordLog::Open(
      o, [](const server::wal::RecordView&) { return base::Status::OK(); });
  if (!log.ok()) {
    state.SkipWithError(log.status().ToString().c_str());
    return;
  }
  const std::string payload(128, 'x');
  uint64_t index = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      if (!(*log)->Append(1, payload).ok()) state.SkipWithError("append");
      ++index;
    }
    if (!(*log)->Sync().ok()) state.SkipWithError("sync");
    if ((*log)->ShouldCut() && !(*log)->Cut(index + 1).ok()) {
      state.SkipWithError("cut");
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetBytesProcessed(state.iterations() * batch * 128);
  log->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendSync)->Arg(1)->Arg(10)->Arg(100)->UseRealTime();

// Segment rollover: sync + trim the full segment, create, preallocate
// (64 MiB), sync and rename the next one, fsync the directory. The storage
// thread stalls this long once per segment_bytes of log.
void BM_Cut(benchmark::State& state) {
  const std::string dir = BenchDir("cut");
  server::wal::RecordLogOptions o;
  o.dir = dir;
  o.segment_bytes = 64ull << 20;
  auto log = server::wal::RecordLog::Open(
      o, [](const server::wal::RecordView&) { return base::Status::OK(); });
  if (!log.ok()) {
    state.SkipWithError(log.status().ToString().c_str());
    return;
  }
  const std::string payload(128, 'x');
  uint64_t index = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (!(*log)->Append(1, payload).ok() || !(*log)->Sync().ok()) {
      state.SkipWithError("append");
    }
    state.ResumeTiming();
    if (!(*log)->Cut(++index).ok()) state.SkipWithError("cut");
    state.PauseTiming();
    if (!(*log)->ReleaseTo(index).ok()) state.SkipWithError("release");
    state.ResumeTiming();
  }
  log->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Cut)->UseRealTime()->Iterations(50);

// Raw fdatasync after overwriting one 4 KiB block of a preallocated file:
// the floor under any synced append.
void BM_RawFdatasync(benchmark::State& state) {
  const std::string dir = BenchDir("raw");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/f";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ::fallocate(fd, 0, 0, 64 << 20) != 0) {
    state.SkipWithError("open/fallocate");
    return;
  }
  std::string block(4096, 'y');
  off_t off = 0;
  for (auto _ : state) {
    if (::pwrite(fd, block.data(), block.size(), off) !=
        static_cast<ssize_t>(block.size())) {
      state.SkipWithError("pwrite");
    }
    off = (off + 4096) % (64 << 20);
    if (::fdatasync(fd) != 0) state.SkipWithError("fdatasync");
  }
  ::close(fd);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RawFdatasync)->UseRealTime();

void BM_Crc32c(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'z');
  for (auto _ : state) {
    benchmark::DoNotOptimize(server::wal::crc32c::Value(data));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(server::wal::crc32c::UsingHardware() ? "sse4.2" : "table");
}
BENCHMARK(BM_Crc32c)->Arg(137)->Arg(4096);

void BM_Crc32cPortable(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'z');
  for (auto _ : state) {
    benchmark::DoNotOptimize(server::wal::crc32c::internal::ExtendPortable(
        0, data.data(), data.size()));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cPortable)->Arg(137)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
