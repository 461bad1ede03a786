#include "fuzz/sim/simulator.h"

#include <ostream>

#include "fuzz/linearizability.h"
#include "fuzz/sim/cluster.h"
#include "fuzz/sim/generator.h"

namespace fuzz::sim {
namespace {

// Phase 2; returns the rounds to recovery, or -1.
int RunLiveness(Cluster& cluster, const SimOptions& options) {
  cluster.RestartAllAndHeal();
  uint64_t probe = 0;     // The probe proposal's op id, 0 = none.
  int probe_leader = -1;  // Where it was proposed.
  for (int round = 1; round <= options.liveness_bound_ticks; ++round) {
    cluster.TickAll();
    cluster.Stabilize();
    if (!cluster.ok()) return -1;
    const int leader = cluster.Leader();
    if (probe != 0 && leader != probe_leader) probe = 0;  // May be lost.
    if (probe == 0 && leader >= 0) {
      probe = cluster.Propose(leader, "k0");
      probe_leader = leader;
      cluster.Stabilize();
    }
    if (probe != 0 && cluster.AppliedEverywhere(probe)) return round;
  }
  return -1;
}

}  // namespace

std::string FailureKind(const std::string& failure) {
  size_t colon = failure.find(':');
  return colon == std::string::npos ? failure : failure.substr(0, colon);
}

RunResult RunSimulation(const SimOptions& options, const Schedule* replay) {
  RunResult result;
  Cluster cluster(options);
  Generator gen(options);
  if (options.trace != nullptr) {
    *options.trace << "# " << FormatOptions(options)
                   << "\n# profile: " << gen.profile().ToString() << "\n";
  }
  const size_t steps =
      replay != nullptr ? replay->size() : static_cast<size_t>(options.steps);
  result.schedule.reserve(steps);
  for (size_t s = 0; s < steps && cluster.ok(); ++s) {
    Event e = replay != nullptr ? (*replay)[s] : gen.Next(cluster.View());
    result.schedule.push_back(e);
    cluster.Execute(e);
  }
  if (cluster.ok()) {
    result.recovery_ticks = RunLiveness(cluster, options);
    if (cluster.ok() && result.recovery_ticks < 0) {
      result.ok = false;
      result.failure =
          "liveness: no leader committed a proposal on every "
          "node within " +
          std::to_string(options.liveness_bound_ticks) +
          " ticks after the faults stopped";
      result.failed_at = cluster.now();
    }
  }
  result.ticks = cluster.ticks();
  if (!cluster.ok()) {
    result.ok = false;
    result.failure = cluster.violation();
    result.failed_at = cluster.now();
    return result;
  }
  if (!result.ok) return result;
  std::vector<Operation> history = cluster.clients().History();
  result.operations = history.size();
  if (options.trace != nullptr) {
    *options.trace << "# client history (tightened, see clients.h):\n";
    for (const Operation& op : history) {
      *options.trace << "  " << DescribeOperation(op) << "\n";
    }
  }
  LinearizabilityResult lin = CheckLinearizable(history, 20'000'000);
  if (lin.verdict == LinearizabilityVerdict::kIllegal) {
    result.ok = false;
    result.failure = "linearizability: key " + lin.key + ": " + lin.explanation;
    result.failed_at = cluster.now();
  } else if (lin.verdict == LinearizabilityVerdict::kBudgetExceeded) {
    result.linearizability_unknown = true;
  }
  if (options.trace != nullptr) {
    *options.trace << "# end: " << (result.ok ? "ok" : result.failure)
                   << ", recovery " << result.recovery_ticks << " ticks, "
                   << result.operations << " operations\n";
  }
  return result;
}

}  // namespace fuzz::sim
