#pragma once

// A small Prometheus metrics registry: counters, gauges, histograms, labeled
// counters and gauges read at scrape time, rendered in the text exposition
// format 0.0.4 that GET /metrics serves.
//
//   metrics::Registry reg;
//   metrics::Counter* c = reg.AddCounter("etcd_x_total", "What it counts.");
//   c->Inc();                                     // any thread
//   reg.AddGaugeFunc("etcd_y", "...", [] { return 1.0; });  // at scrape
//   std::string text = metrics::Render({&reg, &metrics::Default()});
//
// Updates are lock-free atomics, so the storage and apply threads record
// fsync and commit latencies without touching the loop. A labeled counter's
// child is found under a mutex (CounterVec::With); callers on a hot path
// keep the returned Counter* and update it lock-free. Metrics are registered
// before serving and never removed; Render runs on the loop thread (gauge
// functions may read loop-owned state).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace server::metrics {

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  void Add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Cumulative buckets with fixed upper bounds, as Prometheus' Go client.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i] (not cumulative), then the count and sum.
  uint64_t bucket(size_t i) const {
    return buckets_[i].load(std::memory_order_relaxed);
  }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// etcd's latency buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
// 1 ms to 8.192 s.
std::vector<double> EtcdLatencyBuckets();

// Counters told apart by label values (grpc_server_handled_total).
class CounterVec {
 public:
  explicit CounterVec(std::vector<std::string> label_names)
      : names_(std::move(label_names)) {}
  // The counter for `values`, created (at 0) on first use; it lives as long
  // as the vector, so callers may cache it. Any thread.
  // REQUIRES: values.size() == the number of label names.
  Counter* With(const std::vector<std::string>& values);
  void Inc(const std::vector<std::string>& values, uint64_t n = 1) {
    With(values)->Inc(n);
  }

 private:
  friend class Registry;
  std::vector<std::string> names_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Counter>> values_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each name once per registry (a programming error otherwise). The
  // returned pointers live as long as the registry.
  Counter* AddCounter(const std::string& name, const std::string& help);
  Gauge* AddGauge(const std::string& name, const std::string& help);
  Histogram* AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> upper_bounds);
  CounterVec* AddCounterVec(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names);
  // A value read at scrape time. `type` is "gauge", "counter" or
  // "untyped"; etcd names some gauges "..._total", which the Prometheus
  // linter accepts only untyped. `labels` are constant ("server_id").
  void AddGaugeFunc(
      const std::string& name, const std::string& help,
      std::function<double()> fn, const std::string& type = "gauge",
      std::vector<std::pair<std::string, std::string>> labels = {});

  // Appends each family as (name, text) for Render to sort.
  void Collect(std::vector<std::pair<std::string, std::string>>* out) const;

 private:
  struct Family;
  Family* NewFamily(const std::string& name, const std::string& help,
                    const std::string& type);
  std::vector<std::unique_ptr<Family>> families_;
};

// The process-wide registry for metrics recorded below the member (WAL,
// state machine, gRPC transport, node).
Registry& Default();

// The text format of every family of `registries`, sorted by name.
std::string Render(const std::vector<const Registry*>& registries);

}  // namespace server::metrics
