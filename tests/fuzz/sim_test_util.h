#pragma once

// Helpers shared by the simulator tests: seeds from the environment, so a
// failure prints how to replay it.

#include <cstdint>
#include <cstdlib>
#include <string>

namespace fuzz::sim::testing {

// The value of environment variable `name` as an integer, or `fallback`.
inline uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::strtoull(v, nullptr, 10);
}

}  // namespace fuzz::sim::testing
