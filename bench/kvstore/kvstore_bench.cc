// kvstore benchmarks (Google Benchmark). Keys are 8-byte decimal strings
// ("00123456"), values 256 bytes, as in etcd's benchmark tool. Every figure
// is for the store alone: no raft, no network. Stores live in a temporary
// directory removed at exit (override with KVSTORE_BENCH_DIR).

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "base/check.h"
#include "base/log.h"
#include "kvstore/store.h"

namespace kvstore {
namespace {

constexpr int kMillion = 1'000'000;
const std::string kValue(256, 'v');

std::string Dir() {
  static const std::string dir = [] {
    if (const char* d = std::getenv("KVSTORE_BENCH_DIR")) return std::string(d);
    std::string t = std::filesystem::temp_directory_path() / "kvbenchXXXXXX";
    CAIRN_CHECK(mkdtemp(t.data()) != nullptr);
    std::atexit([] { std::filesystem::remove_all(Dir()); });
    return t;
  }();
  return dir;
}

std::string Key(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08d", n);
  return buf;
}

std::unique_ptr<Store> OpenFresh(const std::string& name, SyncMode sync) {
  const std::string path = Dir() + "/" + name;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path + suffix);
  }
  Options o;
  o.sync = sync;
  auto s = Store::Open(path, o);
  CAIRN_CHECK(s.ok(), "%s", s.status().ToString().c_str());
  return std::move(s).value();
}

cairnpb::InternalRequest Put(const std::string& key) {
  cairnpb::InternalRequest r;
  r.mutable_put()->set_key(key);
  r.mutable_put()->set_value(kValue);
  return r;
}

// Applies `n` puts of keys from `next_key` in batches of `batch`, starting
// at log index *index + 1.
void ApplyPuts(Store* s, uint64_t* index, int n, int batch,
               const std::function<int()>& next_key) {
  for (int done = 0; done < n;) {
    CAIRN_CHECK(s->BeginBatch().ok());
    for (int j = 0; j < batch && done < n; ++j, ++done) {
      auto r = s->Apply(++*index, Put(Key(next_key())));
      CAIRN_CHECK(r.ok() && r->status.ok());
    }
    CAIRN_CHECK(s->CommitBatch().ok());
  }
}

// Applied puts per second; one iteration = one batch (one SQLite
// transaction). Random keys among 1M.
void BM_ApplyPut(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const auto sync = static_cast<SyncMode>(state.range(1));
  auto s = OpenFresh("put", sync);
  std::mt19937 rng(1);
  uint64_t index = 0;
  for (auto _ : state) {
    ApplyPuts(s.get(), &index, batch, batch,
              [&] { return static_cast<int>(rng() % kMillion); });
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(sync == SyncMode::kOff ? "synchronous=OFF"
                                        : "synchronous=NORMAL");
}
BENCHMARK(BM_ApplyPut)
    ->ArgsProduct({{1, 100, 1000}, {0, 1}})
    ->ArgNames({"batch", "sync_off"})
    ->UseRealTime();

// One store with 1M keys (00000000..00999999), loaded once.
Store* MillionKeys() {
  static Store* s = [] {
    auto store = OpenFresh("million", SyncMode::kNormal);
    uint64_t index = 0;
    int next = 0;
    auto t0 = std::chrono::steady_clock::now();
    ApplyPuts(store.get(), &index, kMillion, 1000, [&] { return next++; });
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    std::fprintf(stderr, "loaded 1M keys in %.2f s; database %.1f MiB\n", secs,
                 static_cast<double>(*store->DbSize()) / (1 << 20));
    return store.release();
  }();
  return s;
}

void BM_RangeOneKey(benchmark::State& state) {
  Store* s = MillionKeys();
  std::mt19937 rng(2);
  etcdserverpb::RangeRequest r;
  for (auto _ : state) {
    r.set_key(Key(static_cast<int>(rng() % kMillion)));
    auto resp = s->Range(r);
    CAIRN_CHECK(resp.ok() && resp->kvs_size() == 1);
    benchmark::DoNotOptimize(resp);
  }
  state.counters["db_MiB_per_1M_keys"] =
      static_cast<double>(*s->DbSize()) / (1 << 20);
}
BENCHMARK(BM_RangeOneKey)->Unit(benchmark::kMicrosecond);

void BM_RangePrefix1000(benchmark::State& state) {
  Store* s = MillionKeys();
  std::mt19937 rng(3);
  etcdserverpb::RangeRequest r;
  for (auto _ : state) {
    int p = static_cast<int>(rng() % 1000);  // "00ppp" selects 1000 keys
    r.set_key(Key(p * 1000).substr(0, 5));
    r.set_range_end(Key(p * 1000 + 1000).substr(0, 5));
    auto resp = s->Range(r);
    CAIRN_CHECK(resp.ok() && resp->kvs_size() == 1000);
    benchmark::DoNotOptimize(resp);
  }
}
BENCHMARK(BM_RangePrefix1000)->Unit(benchmark::kMillisecond);

// Compaction that removes 1M superseded versions: 1000 keys written 1001
// times each, then Compact(current revision). Timed once.
void BM_Compact1MSuperseded(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto s = OpenFresh("compact", SyncMode::kNormal);
    uint64_t index = 0;
    int next = 0;
    ApplyPuts(s.get(), &index, 1001 * 1000, 1000,
              [&] { return next++ % 1000; });
    cairnpb::InternalRequest c;
    c.mutable_compaction()->set_revision(s->CurrentRevision());
    state.ResumeTiming();
    auto r = s->Apply(++index, c);
    CAIRN_CHECK(r.ok() && r->status.ok());
  }
}
BENCHMARK(BM_Compact1MSuperseded)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kvstore

int main(int argc, char** argv) {
  base::SetLogLevel(base::LogLevel::kWarn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
