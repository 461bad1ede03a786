// libFuzzer target: the fuzzer's bytes are a simulator schedule, so coverage
// guidance explores schedules of faults and client requests.
//
// Input: a 4-byte header {nodes, flags, 0, 0} (nodes = 3 + byte % 5; flag
// bit 0 = pre_vote, bit 1 = check_quorum), then the schedule in its binary
// form (fuzz/sim/schedule.h). Any safety, liveness or linearizability
// failure aborts with the failure and the schedule printed.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz/sim/options.h"
#include "fuzz/sim/schedule.h"
#include "fuzz/sim/simulator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  fuzz::sim::SimOptions o;
  o.nodes = 3 + data[0] % 5;
  o.pre_vote = data[1] & 1;
  o.check_quorum = (data[1] >> 1) & 1;
  o.seed = data[2];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 4, size - 4);
  fuzz::sim::Schedule schedule = fuzz::sim::DecodeSchedule(bytes);
  if (schedule.size() > 5000) schedule.resize(5000);  // Keep runs fast.
  fuzz::sim::RunResult r = fuzz::sim::RunSimulation(o, &schedule);
  if (!r.ok) {
    std::fprintf(stderr, "schedule_fuzzer: %s\n  options: %s\n",
                 r.failure.c_str(), fuzz::sim::FormatOptions(o).c_str());
    for (const fuzz::sim::Event& e : r.schedule) {
      std::fprintf(stderr, "    %s\n",
                   fuzz::sim::DescribeEvent(e, o.nodes).c_str());
    }
    std::abort();
  }
  return 0;
}
