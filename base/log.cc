#include "base/log.h"

#include <sys/time.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <string>

namespace base {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

struct Overrides {
  std::mutex mu;
  std::map<std::string, int, std::less<>> levels;
  std::atomic<bool> any{false};
};

Overrides& GetOverrides() {
  static Overrides* overrides = new Overrides();  // Never destroyed.
  return *overrides;
}

char LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return 'E';
    case LogLevel::kWarn:
      return 'W';
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kDebug:
      return 'D';
  }
  return '?';
}

}  // namespace

bool ParseLogLevel(std::string_view name, LogLevel* level) {
  if (name == "error")
    *level = LogLevel::kError;
  else if (name == "warn" || name == "warning")
    *level = LogLevel::kWarn;
  else if (name == "info")
    *level = LogLevel::kInfo;
  else if (name == "debug")
    *level = LogLevel::kDebug;
  else
    return false;
  return true;
}

void SetLogLevel(LogLevel level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

void SetModuleLogLevel(std::string_view module, LogLevel level) {
  Overrides& o = GetOverrides();
  std::lock_guard<std::mutex> lock(o.mu);
  o.levels[std::string(module)] = static_cast<int>(level);
  o.any.store(true, std::memory_order_release);
}

bool LogEnabled(LogLevel level, std::string_view module) {
  int limit = g_level.load(std::memory_order_relaxed);
  Overrides& o = GetOverrides();
  if (o.any.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(o.mu);
    auto it = o.levels.find(module);
    if (it != o.levels.end()) limit = it->second;
  }
  return static_cast<int>(level) <= limit;
}

void LogLine(LogLevel level, std::string_view module, const char* fmt, ...) {
  char buf[2048];
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  gmtime_r(&tv.tv_sec, &t);
  int n = std::snprintf(
      buf, sizeof(buf),
      "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %c %.*s: ", t.tm_year + 1900,
      t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
      static_cast<int>(tv.tv_usec / 1000), LevelLetter(level),
      static_cast<int>(module.size()), module.data());
  if (n < 0) return;
  size_t used = static_cast<size_t>(n) < sizeof(buf) ? n : sizeof(buf) - 1;
  va_list ap;
  va_start(ap, fmt);
  int m = std::vsnprintf(buf + used, sizeof(buf) - used, fmt, ap);
  va_end(ap);
  if (m > 0) used += static_cast<size_t>(m);
  if (used > sizeof(buf) - 2) used = sizeof(buf) - 2;
  buf[used++] = '\n';
  std::fwrite(buf, 1, used, stderr);
}

}  // namespace base
