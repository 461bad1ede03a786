#include "server/metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "base/check.h"

namespace server::metrics {

namespace {

// Go's strconv.FormatFloat(v, 'g', -1, 64) as the Go client prints values:
// integers plainly, other values with enough digits to round-trip.
std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    // Prefer the shortest form that reads back the same.
    for (int p = 1; p < 17; ++p) {
      char shorter[32];
      std::snprintf(shorter, sizeof(shorter), "%.*g", p, v);
      if (std::strtod(shorter, nullptr) == v) {
        std::snprintf(buf, sizeof(buf), "%s", shorter);
        break;
      }
    }
  }
  return buf;
}

std::string Escape(const std::string& s, bool quote) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names,
                   const std::vector<std::string>& values) {
  if (names.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    out += names[i] + "=\"" + Escape(values[i], true) + "\"";
  }
  return out + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size()]) {
  CAIRN_CHECK(std::is_sorted(bounds_.begin(), bounds_.end()),
              "histogram bounds must increase");
  for (size_t i = 0; i < bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::Observe(double v) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  if (it != bounds_.end()) {
    buckets_[static_cast<size_t>(it - bounds_.begin())].fetch_add(
        1, std::memory_order_relaxed);
  }
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<double> EtcdLatencyBuckets() {
  std::vector<double> b;
  for (int i = 0; i < 14; ++i) b.push_back(0.001 * std::pow(2.0, i));
  return b;
}

Counter* CounterVec::With(const std::vector<std::string>& values) {
  CAIRN_CHECK(values.size() == names_.size(), "wrong number of label values");
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<Counter>& c = values_[values];
  if (!c) c = std::make_unique<Counter>();
  return c.get();
}

struct Registry::Family {
  std::string name;
  std::string help;
  std::string type;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::unique_ptr<CounterVec> vec;
  std::function<double()> fn;
  std::vector<std::pair<std::string, std::string>> labels;

  std::string Text() const {
    std::string out = "# HELP " + name + " " + Escape(help, false) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    if (counter) {
      out += name + " " + FormatValue(static_cast<double>(counter->value()));
    } else if (gauge) {
      out += name + " " + FormatValue(gauge->value());
    } else if (histogram) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < histogram->bounds().size(); ++i) {
        cumulative += histogram->bucket(i);
        out += name + "_bucket{le=\"" + FormatValue(histogram->bounds()[i]) +
               "\"} " + std::to_string(cumulative) + "\n";
      }
      uint64_t count = histogram->count();
      out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
      out += name + "_sum " + FormatValue(histogram->sum()) + "\n";
      out += name + "_count " + std::to_string(count);
    } else if (vec) {
      std::lock_guard<std::mutex> lock(vec->mu_);
      std::string sep;
      for (const auto& [values, v] : vec->values_) {
        out += sep + name + Labels(vec->names_, values) + " " +
               std::to_string(v->value());
        sep = "\n";
      }
      if (vec->values_.empty()) return out;
    } else {
      std::vector<std::string> names, values;
      for (const auto& [k, v] : labels) {
        names.push_back(k);
        values.push_back(v);
      }
      out += name + Labels(names, values) + " " + FormatValue(fn());
    }
    return out + "\n";
  }
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family* Registry::NewFamily(const std::string& name,
                                      const std::string& help,
                                      const std::string& type) {
  for (const auto& existing : families_) {
    CAIRN_CHECK(existing->name != name, "metric %s registered twice",
                name.c_str());
  }
  auto f = std::make_unique<Family>();
  f->name = name;
  f->help = help;
  f->type = type;
  families_.push_back(std::move(f));
  return families_.back().get();
}

Counter* Registry::AddCounter(const std::string& name,
                              const std::string& help) {
  Family* f = NewFamily(name, help, "counter");
  f->counter = std::make_unique<Counter>();
  return f->counter.get();
}

Gauge* Registry::AddGauge(const std::string& name, const std::string& help) {
  Family* f = NewFamily(name, help, "gauge");
  f->gauge = std::make_unique<Gauge>();
  return f->gauge.get();
}

Histogram* Registry::AddHistogram(const std::string& name,
                                  const std::string& help,
                                  std::vector<double> upper_bounds) {
  Family* f = NewFamily(name, help, "histogram");
  f->histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  return f->histogram.get();
}

CounterVec* Registry::AddCounterVec(const std::string& name,
                                    const std::string& help,
                                    std::vector<std::string> label_names) {
  Family* f = NewFamily(name, help, "counter");
  f->vec = std::make_unique<CounterVec>(std::move(label_names));
  return f->vec.get();
}

void Registry::AddGaugeFunc(
    const std::string& name, const std::string& help,
    std::function<double()> fn, const std::string& type,
    std::vector<std::pair<std::string, std::string>> labels) {
  Family* f = NewFamily(name, help, type);
  f->fn = std::move(fn);
  f->labels = std::move(labels);
}

void Registry::Collect(
    std::vector<std::pair<std::string, std::string>>* out) const {
  for (const auto& f : families_) out->emplace_back(f->name, f->Text());
}

Registry& Default() {
  static Registry* r = new Registry();
  return *r;
}

std::string Render(const std::vector<const Registry*>& registries) {
  std::vector<std::pair<std::string, std::string>> families;
  for (const Registry* r : registries) r->Collect(&families);
  std::sort(families.begin(), families.end());
  std::string out;
  for (const auto& [name, text] : families) out += text;
  return out;
}

}  // namespace server::metrics
