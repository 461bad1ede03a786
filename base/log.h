#pragma once

// The logging facade for everything but raft/ (which logs only through the
// Logger in its Config). printf-style, with levels ERROR, WARN, INFO, DEBUG
// and a verbosity per module:
//
//   CAIRN_LOG(kInfo, "wal", "opened %s at index %llu", path, index);
//
// prints "2026-11-22T03:10:00.123Z I wal: opened ... at index 42" to stderr.
// The clock is read only to stamp lines. Thread safety: every function may
// be called from any thread; a line is written with one fwrite.

#include <cstdarg>
#include <string_view>

namespace base {

enum class LogLevel : int { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// Parses "error", "warn", "info" or "debug" (etcd's --log-level names;
// "warning" too). Returns false for anything else.
bool ParseLogLevel(std::string_view name, LogLevel* level);

// Sets the level for every module without an override.
void SetLogLevel(LogLevel level);
// Overrides the level of one module ("wal", "raft", "grpc"...).
void SetModuleLogLevel(std::string_view module, LogLevel level);
// True when a line at `level` for `module` would be printed.
bool LogEnabled(LogLevel level, std::string_view module);

// Writes one line. Prefer the macro, which skips formatting when disabled.
void LogLine(LogLevel level, std::string_view module, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace base

#define CAIRN_LOG(level, module, ...)                                \
  do {                                                               \
    if (::base::LogEnabled(::base::LogLevel::level, module)) {       \
      ::base::LogLine(::base::LogLevel::level, module, __VA_ARGS__); \
    }                                                                \
  } while (0)
