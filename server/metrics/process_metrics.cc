#include "server/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace server::metrics {
namespace {

// Fields of /proc/self/stat after the command name (field 3 is index 0).
bool ReadStat(std::vector<std::string>* fields) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  std::string f;
  while (rest >> f) fields->push_back(f);
  return fields->size() > 21;
}

double StatField(size_t field) {
  std::vector<std::string> f;
  if (!ReadStat(&f)) return 0;
  return std::stod(f[field - 3]);
}

double OpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  double n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // The directory stream's own descriptor.
}

double StartTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double btime = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> btime;
      break;
    }
  }
  return btime + StatField(22) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

void RegisterProcessMetrics(Registry* r) {
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  r->AddGaugeFunc(
      "process_cpu_seconds_total",
      "Total user and system CPU time spent in seconds.",
      [tick] { return (StatField(14) + StatField(15)) / tick; }, "counter");
  r->AddGaugeFunc("process_resident_memory_bytes",
                  "Resident memory size in bytes.",
                  [page] { return StatField(24) * page; });
  r->AddGaugeFunc("process_virtual_memory_bytes",
                  "Virtual memory size in bytes.",
                  [] { return StatField(23); });
  r->AddGaugeFunc("process_open_fds", "Number of open file descriptors.",
                  OpenFds);
  r->AddGaugeFunc("process_max_fds", "Maximum number of open file descriptors.",
                  [] {
                    rlimit l{};
                    getrlimit(RLIMIT_NOFILE, &l);
                    return static_cast<double>(l.rlim_cur);
                  });
  const double start = StartTimeSeconds();
  r->AddGaugeFunc("process_start_time_seconds",
                  "Start time of the process since unix epoch in seconds.",
                  [start] { return start; });
}

}  // namespace server::metrics
