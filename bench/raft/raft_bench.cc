// Raft benchmark: propose -> commit -> apply through raft::RawNode with 1 and
// 3 voters, 128-byte payloads, messages delivered in memory, MemoryStorage
// (issue 2). Reports ns/op plus heap allocations and bytes per op, counted
// by alloc_counter.cc exactly as Go's allocs/op and B/op count them.
// bench/etcdraft runs the same workload through etcd/raft; compare.sh runs
// both and prints the ratios.
//
// Two payload modes, in both languages:
//   shared: the same 128-byte buffer is proposed every time (Go reuses the
//           byte slice; here copying the Payload bumps a reference count);
//   fresh:  each op first copies the bytes into a new buffer, as a server
//           does when it encodes a request (one allocation in both).
//
// Extra flags (instead of the Google Benchmark flags):
//   --smoke           run each workload briefly with its checks and exit
//                     non-zero on failure (the raft_bench_smoke ctest);
//   --trace_allocs=N  warm up each workload (1 and 3 voters with a shared
//                     payload, ReadIndex with 1 pending), then print to
//                     stderr a backtrace for every heap allocation made
//                     during N ops. Pipe through c++filt. Used to find
//                     where allocations come from.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "bench/raft/alloc_counter.h"
#include "bench/raft/cluster.h"

namespace bench {
namespace {

// Ops run before measuring, so that vectors reach their steady capacity.
constexpr int kWarmupOps = 4096;

void ProposeCommitApply(benchmark::State& state, bool fresh,
                        bool async = false) {
  const int voters = static_cast<int>(state.range(0));
  auto cluster = Cluster::New(voters, async);
  if (!cluster.ok()) {
    state.SkipWithError(cluster.status().ToString().c_str());
    return;
  }
  Cluster& c = **cluster;
  const std::string bytes(kPayloadSize, 'x');
  const raftpb::Payload shared(bytes);
  for (int i = 0; i < kWarmupOps; ++i) {
    base::Status s = c.ProposeAndApply(shared);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  const uint64_t applied_before = c.applied_bytes(0);
  const AllocStats before = CurrentAllocStats();
  for (auto _ : state) {
    base::Status s = fresh ? c.ProposeAndApply(raftpb::Payload(bytes))
                           : c.ProposeAndApply(shared);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  const AllocStats after = CurrentAllocStats();
  const auto iters = static_cast<uint64_t>(state.iterations());
  for (int i = 0; i < voters; ++i) {
    if (c.applied_bytes(i) != c.applied_bytes(0) ||
        c.applied_bytes(0) - applied_before != iters * kPayloadSize) {
      state.SkipWithError("a node did not apply every proposal");
      return;
    }
  }
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(after.allocs - before.allocs),
                         benchmark::Counter::kAvgIterations);
  state.counters["bytes/op"] =
      benchmark::Counter(static_cast<double>(after.bytes - before.bytes),
                         benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations());
}

void BM_ProposeCommitApply(benchmark::State& state) {
  ProposeCommitApply(state, /*fresh=*/false);
}
void BM_ProposeCommitApplyFresh(benchmark::State& state) {
  ProposeCommitApply(state, /*fresh=*/true);
}
// Asynchronous storage writes (raft/ready.h), the append and apply work
// done inline (see Cluster::New): the protocol's cost over the sync mode.
// etcd 3.4 has no such mode, so compare.sh has no etcd figure for it.
void BM_ProposeCommitApplyAsync(benchmark::State& state) {
  ProposeCommitApply(state, /*fresh=*/false, /*async=*/true);
}
// CPU time is the whole process's (as bench/etcdraft's cpu-ns/op, which
// includes Go's GC workers); Time stays wall-clock (as Go's ns/op).
BENCHMARK(BM_ProposeCommitApply)
    ->ArgName("voters")
    ->Arg(1)
    ->Arg(3)
    ->MeasureProcessCPUTime();
BENCHMARK(BM_ProposeCommitApplyFresh)
    ->ArgName("voters")
    ->Arg(1)
    ->Arg(3)
    ->MeasureProcessCPUTime();
BENCHMARK(BM_ProposeCommitApplyAsync)
    ->ArgName("voters")
    ->Arg(1)
    ->Arg(3)
    ->MeasureProcessCPUTime();

// Linearizable reads through the leader of 3 voters (ReadOnlySafe),
// `pending` requests per heartbeat round. An iteration is one round; the
// per-read counters divide by the reads (compare.sh divides the times).
void BM_ReadIndex(benchmark::State& state) {
  const int pending = static_cast<int>(state.range(0));
  auto cluster = Cluster::New(3);
  if (!cluster.ok()) {
    state.SkipWithError(cluster.status().ToString().c_str());
    return;
  }
  Cluster& c = **cluster;
  for (int i = 0; i < kWarmupOps / pending; ++i) {
    base::Status s = c.ReadIndexRound(pending);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  const AllocStats before = CurrentAllocStats();
  for (auto _ : state) {
    base::Status s = c.ReadIndexRound(pending);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  const AllocStats after = CurrentAllocStats();
  const double reads = static_cast<double>(state.iterations()) * pending;
  state.counters["allocs/read"] =
      static_cast<double>(after.allocs - before.allocs) / reads;
  state.counters["bytes/read"] =
      static_cast<double>(after.bytes - before.bytes) / reads;
  state.SetItemsProcessed(state.iterations() * pending);
}
BENCHMARK(BM_ReadIndex)
    ->ArgName("pending")
    ->Arg(1)
    ->Arg(64)
    ->MeasureProcessCPUTime();

// Prints a backtrace for each allocation `run` makes (after a warm-up).
template <typename Fn>
int TraceAllocsOf(const char* what, int ops, Fn run) {
  for (int i = 0; i < kWarmupOps; ++i) {
    if (!run()) return 1;
  }
  std::fprintf(stderr, "=== %s: allocations during %d ops\n", what, ops);
  const AllocStats before = CurrentAllocStats();
  SetAllocTracing(true);
  for (int i = 0; i < ops; ++i) {
    std::fprintf(stderr, "--- op %d\n", i);
    if (!run()) return 1;
  }
  SetAllocTracing(false);
  const AllocStats after = CurrentAllocStats();
  std::fprintf(stderr, "=== %s: %llu allocations, %llu bytes\n", what,
               static_cast<unsigned long long>(after.allocs - before.allocs),
               static_cast<unsigned long long>(after.bytes - before.bytes));
  return 0;
}

// Cluster::New, or nullptr after printing the error.
std::unique_ptr<Cluster> NewClusterOrPrint(int voters, bool async = false) {
  auto cluster = Cluster::New(voters, async);
  if (!cluster.ok()) {
    std::fprintf(stderr, "%s\n", cluster.status().ToString().c_str());
    return nullptr;
  }
  return std::move(*cluster);
}

int TraceAllocs(int ops) {
  const raftpb::Payload shared(std::string(kPayloadSize, 'x'));
  for (int voters : {1, 3}) {
    std::unique_ptr<Cluster> cluster = NewClusterOrPrint(voters);
    if (cluster == nullptr) return 1;
    const std::string what =
        "propose, voters=" + std::to_string(voters) + ", shared payload";
    if (TraceAllocsOf(what.c_str(), ops, [&] {
          return cluster->ProposeAndApply(shared).ok();
        }) != 0) {
      return 1;
    }
  }
  std::unique_ptr<Cluster> cluster = NewClusterOrPrint(3);
  if (cluster == nullptr) return 1;
  return TraceAllocsOf("ReadIndex, 1 pending", ops,
                       [&] { return cluster->ReadIndexRound(1).ok(); });
}

// Runs every workload briefly with its checks; 0 when all pass. This is what
// the raft_bench_smoke ctest runs.
int Smoke() {
  const raftpb::Payload shared(std::string(kPayloadSize, 'x'));
  for (int run = 0; run < 4; ++run) {
    const int voters = run % 2 == 0 ? 1 : 3;
    const bool async = run >= 2;
    std::unique_ptr<Cluster> cluster = NewClusterOrPrint(voters, async);
    if (cluster == nullptr) return 1;
    constexpr int kOps = 2000;  // more than one compaction interval
    for (int i = 0; i < kOps; ++i) {
      base::Status s = cluster->ProposeAndApply(shared);
      if (!s.ok()) {
        std::fprintf(stderr, "voters=%d async=%d op %d: %s\n", voters,
                     async ? 1 : 0, i, s.ToString().c_str());
        return 1;
      }
    }
    for (int i = 0; i < voters; ++i) {
      if (cluster->applied_bytes(i) != kOps * kPayloadSize) {
        std::fprintf(
            stderr, "voters=%d: node %d applied %llu bytes\n", voters, i + 1,
            static_cast<unsigned long long>(cluster->applied_bytes(i)));
        return 1;
      }
    }
  }
  std::unique_ptr<Cluster> cluster = NewClusterOrPrint(3);
  if (cluster == nullptr) return 1;
  for (int pending : {1, 64, 7}) {
    base::Status s = cluster->ReadIndexRound(pending);
    if (!s.ok()) {
      std::fprintf(stderr, "ReadIndex, %d pending: %s\n", pending,
                   s.ToString().c_str());
      return 1;
    }
  }
  std::printf("raft_bench smoke: ok\n");
  return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  constexpr std::string_view kTraceFlag = "--trace_allocs=";
  if (argc > 1 && std::string_view(argv[1]).starts_with(kTraceFlag)) {
    return bench::TraceAllocs(std::atoi(argv[1] + kTraceFlag.size()));
  }
  if (argc > 1 && std::string_view(argv[1]) == "--smoke") {
    return bench::Smoke();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
