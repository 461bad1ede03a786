#pragma once

// Routes raft's Logger into the server's logging facade (module "raft").

#include "base/log.h"
#include "raft/logger.h"

namespace server {

class RaftLogger final : public raft::Logger {
 public:
  void Log(raft::LogLevel level, std::string_view line) override {
    base::LogLine(ToBase(level), "raft", "%.*s", static_cast<int>(line.size()),
                  line.data());
  }
  bool Enabled(raft::LogLevel level) const override {
    return base::LogEnabled(ToBase(level), "raft");
  }

 private:
  static base::LogLevel ToBase(raft::LogLevel level) {
    switch (level) {
      case raft::LogLevel::kDebug:
        return base::LogLevel::kDebug;
      case raft::LogLevel::kInfo:
        return base::LogLevel::kInfo;
      case raft::LogLevel::kWarning:
        return base::LogLevel::kWarn;
      case raft::LogLevel::kError:
        return base::LogLevel::kError;
    }
    return base::LogLevel::kInfo;
  }
};

}  // namespace server
