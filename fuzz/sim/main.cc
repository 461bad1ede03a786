// fuzz/sim: runs the deterministic cluster simulator.
//
//   sim --seed 7 --nodes 5 --steps 2000 --trace      one run, full trace
//   sim --seeds 1..10000 --nodes random              a campaign
//   sim --seed 7 ... --shrink --save-schedule f      shrink a failure
//   sim --schedule-file f --nodes 5 --trace          replay a schedule
//
// Exit status: 0 when every run passed, 1 when one failed, 2 on bad flags.
// Several cores: run one process per core over disjoint seed ranges (see
// docs/testing.md).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/sim/network.h"
#include "fuzz/sim/options.h"
#include "fuzz/sim/shrink.h"
#include "fuzz/sim/simulator.h"

namespace fuzz::sim {
namespace {

struct Flags {
  SimOptions options;
  uint64_t first_seed = 1;
  uint64_t last_seed = 1;
  bool random_nodes = false;
  bool trace = false;
  bool shrink = false;
  bool quiet = false;
  std::string schedule_file;
  std::string save_schedule;
};

// What a crash (a CHECK in raft) prints: the run in progress.
char g_current_run[512];

void OnAbort(int) {
  const char prefix[] = "\nABORTED during run: ";
  (void)!write(2, prefix, sizeof(prefix) - 1);
  (void)!write(2, g_current_run, strnlen(g_current_run, sizeof(g_current_run)));
  (void)!write(2, "\n", 1);
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

int Usage(const std::string& error) {
  std::cerr
      << "sim: " << error << "\n"
      << "usage: sim [--seed S | --seeds A..B] [--nodes N|random]\n"
         "           [--steps K] [--mode sync|async] [--faults LIST]\n"
         "           [--bugs LIST] [--pre-vote 0|1] [--check-quorum 0|1]\n"
         "           [--no-vote-check] [--liveness-ticks T] [--trace]\n"
         "           [--shrink] [--save-schedule F] [--schedule-file F]\n"
         "           [--quiet]\n";
  return 2;
}

bool ParseFlags(int argc, char** argv, Flags* f, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        *error = a + " needs a value";
        return "";
      }
      return argv[++i];
    };
    if (a == "--seed") {
      f->first_seed = f->last_seed =
          std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--seeds") {
      std::string v = value();
      size_t dots = v.find("..");
      if (dots == std::string::npos) {
        *error = "--seeds wants A..B";
        return false;
      }
      f->first_seed = std::strtoull(v.substr(0, dots).c_str(), nullptr, 10);
      f->last_seed = std::strtoull(v.substr(dots + 2).c_str(), nullptr, 10);
    } else if (a == "--nodes") {
      std::string v = value();
      f->random_nodes = v == "random";
      if (!f->random_nodes) f->options.nodes = std::atoi(v.c_str());
    } else if (a == "--steps") {
      f->options.steps = std::atoi(value().c_str());
    } else if (a == "--mode") {
      std::string v = value();
      if (v != "sync" && v != "async") {
        *error = "--mode must be sync or async";
        return false;
      }
      f->options.mode = v == "sync" ? StorageMode::kSync : StorageMode::kAsync;
    } else if (a == "--faults") {
      base::Result<Faults> faults = ParseFaults(value());
      if (!faults.ok()) {
        *error = faults.status().message();
        return false;
      }
      f->options.faults = *faults;
    } else if (a == "--bugs") {
      base::Status s = ParseBugs(value(), &f->options);
      if (!s.ok()) {
        *error = s.message();
        return false;
      }
    } else if (a == "--profile") {
      f->options.profile = value();
      bool known = false;
      for (const char* name : kProfileNames)
        known |= f->options.profile == name;
      if (!known) {
        *error = "unknown profile " + f->options.profile;
        return false;
      }
    } else if (a == "--pre-vote") {
      f->options.pre_vote = std::atoi(value().c_str());
    } else if (a == "--check-quorum") {
      f->options.check_quorum = std::atoi(value().c_str());
    } else if (a == "--no-vote-check") {
      f->options.check_vote_durability = false;
    } else if (a == "--liveness-ticks") {
      f->options.liveness_bound_ticks = std::atoi(value().c_str());
    } else if (a == "--trace") {
      f->trace = true;
    } else if (a == "--shrink") {
      f->shrink = true;
    } else if (a == "--quiet") {
      f->quiet = true;
    } else if (a == "--save-schedule") {
      f->save_schedule = value();
    } else if (a == "--schedule-file") {
      f->schedule_file = value();
    } else {
      *error = "unknown flag " + a;
      return false;
    }
    if (!error->empty()) return false;
  }
  if (!f->random_nodes &&
      (f->options.nodes < 3 || f->options.nodes > kMaxNodes)) {
    *error = "--nodes must be 3..7 or random";
    return false;
  }
  if (f->last_seed < f->first_seed) {
    *error = "--seeds A..B wants A <= B";
    return false;
  }
  return true;
}

void ReportFailure(const Flags& flags, const SimOptions& o,
                   const RunResult& r) {
  std::cout << "FAIL seed " << o.seed << " at event " << r.failed_at << ": "
            << r.failure << "\n  replay: sim " << FormatOptions(o)
            << " --trace\n";
  if (!flags.shrink) return;
  ShrinkResult s = Shrink(o, r.schedule);
  std::cout << "  shrunk " << r.schedule.size() << " -> " << s.schedule.size()
            << " events in " << s.runs
            << " runs; still fails with: " << s.run.failure << "\n";
  for (const Event& e : s.schedule) {
    std::cout << "    " << DescribeEvent(e, o.nodes) << "\n";
  }
  if (!flags.save_schedule.empty()) {
    std::ofstream out(flags.save_schedule, std::ios::binary);
    out << EncodeSchedule(s.schedule);
    std::cout << "  saved to " << flags.save_schedule << "; replay: sim "
              << FormatOptions(o) << " --schedule-file " << flags.save_schedule
              << " --trace\n";
  }
}

int64_t Percentile(std::vector<int>& v, int p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * static_cast<size_t>(p) / 100)];
}

int Main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (!ParseFlags(argc, argv, &flags, &error)) return Usage(error);
  std::signal(SIGABRT, OnAbort);
  Schedule replay;
  if (!flags.schedule_file.empty()) {
    std::ifstream in(flags.schedule_file, std::ios::binary);
    if (!in) return Usage("cannot read " + flags.schedule_file);
    std::stringstream ss;
    ss << in.rdbuf();
    replay = DecodeSchedule(ss.str());
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t runs = 0, failures = 0, ticks = 0, events = 0, ops = 0;
  uint64_t lin_unknown = 0;
  std::vector<int> recovery;
  for (uint64_t seed = flags.first_seed; seed <= flags.last_seed; ++seed) {
    SimOptions o = flags.options;
    o.seed = seed;
    if (flags.random_nodes) o.nodes = 3 + static_cast<int>(seed % 5);
    if (flags.trace) o.trace = &std::cout;
    std::snprintf(g_current_run, sizeof(g_current_run), "sim %s",
                  FormatOptions(o).c_str());
    RunResult r =
        RunSimulation(o, flags.schedule_file.empty() ? nullptr : &replay);
    ++runs;
    ticks += r.ticks;
    events += r.schedule.size();
    ops += r.operations;
    lin_unknown += r.linearizability_unknown ? 1 : 0;
    if (r.recovery_ticks >= 0) recovery.push_back(r.recovery_ticks);
    if (!r.ok) {
      ++failures;
      ReportFailure(flags, o, r);
    } else if (!flags.save_schedule.empty() &&
               flags.first_seed == flags.last_seed) {
      // A passing run's schedule, e.g. for a fuzzer's seed corpus.
      std::ofstream out(flags.save_schedule, std::ios::binary);
      out << EncodeSchedule(r.schedule);
    }
    if (seed == UINT64_MAX) break;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!flags.quiet || failures > 0) {
    std::cout << "runs " << runs << ", failures " << failures << ", events "
              << events << ", node ticks " << ticks << " (~"
              << static_cast<double>(ticks) * 0.1 / 3600.0
              << " node-hours at 100 ms/tick), client ops " << ops
              << ", linearizability undecided " << lin_unknown
              << "; ticks to recovery p50 " << Percentile(recovery, 50)
              << " p90 " << Percentile(recovery, 90) << " p99 "
              << Percentile(recovery, 99) << " max "
              << Percentile(recovery, 100) << "; " << secs << " s\n";
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace fuzz::sim

int main(int argc, char** argv) { return fuzz::sim::Main(argc, argv); }
