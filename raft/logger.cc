#include "raft/logger.h"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace raft {
namespace {

std::string VFormat(const char* fmt, va_list ap) {
  char buf[512];
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  if (n < 0) {
    va_end(ap2);
    return std::string();
  }
  if (static_cast<size_t>(n) < sizeof(buf)) {
    va_end(ap2);
    return std::string(buf, static_cast<size_t>(n));
  }
  std::string s(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(s.data(), s.size(), fmt, ap2);
  va_end(ap2);
  s.resize(static_cast<size_t>(n));
  return s;
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

#define CAIRN_RAFT_LOGF(level)         \
  if (!Enabled(level)) return;         \
  va_list ap;                          \
  va_start(ap, fmt);                   \
  std::string line = VFormat(fmt, ap); \
  va_end(ap);                          \
  Log(level, line)

void Logger::Debugf(const char* fmt, ...) { CAIRN_RAFT_LOGF(LogLevel::kDebug); }
void Logger::Infof(const char* fmt, ...) { CAIRN_RAFT_LOGF(LogLevel::kInfo); }
void Logger::Warningf(const char* fmt, ...) {
  CAIRN_RAFT_LOGF(LogLevel::kWarning);
}
void Logger::Errorf(const char* fmt, ...) { CAIRN_RAFT_LOGF(LogLevel::kError); }

#undef CAIRN_RAFT_LOGF

void StderrLogger::Log(LogLevel level, std::string_view line) {
  std::string s = "raft ";
  s += LogLevelName(level);
  s += ": ";
  s += line;
  s += '\n';
  std::fwrite(s.data(), 1, s.size(), stderr);
}

}  // namespace raft
