#pragma once

// Logger: how raft reports what it does. Raft has no global logger; each
// node logs through the one in its Config. Lines are deterministic (no time,
// no addresses) and shaped like etcd/raft's ("1 became leader at term 2"),
// so golden files and simulator traces can include them.
//
// Broken invariants do not go through the Logger: they abort through
// CAIRN_CHECK (etcd's Panicf).
//
// Thread safety: raft calls its Logger from the thread that drives the node.

#include <string_view>

namespace raft {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "DEBUG", "INFO", "WARN", "ERROR".
std::string_view LogLevelName(LogLevel level);

class Logger {
 public:
  virtual ~Logger() = default;

  // Writes one line (no trailing newline in `line`).
  virtual void Log(LogLevel level, std::string_view line) = 0;
  // False when lines at `level` are discarded, so raft can skip formatting.
  virtual bool Enabled(LogLevel level) const {
    (void)level;
    return true;
  }

  // printf-style helpers; format only when Enabled(level).
  void Debugf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Infof(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Warningf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void Errorf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
};

// Discards everything (the default when Config.logger is null).
class DiscardLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view) override {}
  bool Enabled(LogLevel) const override { return false; }
};

// Writes "raft INFO: <line>\n" to stderr for lines at or above min_level.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo)
      : min_level_(min_level) {}
  void Log(LogLevel level, std::string_view line) override;
  bool Enabled(LogLevel level) const override { return level >= min_level_; }

 private:
  LogLevel min_level_;
};

}  // namespace raft
