#pragma once

// Prng: the simulator's one source of randomness.
//
// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified, so
// a seed replays bit for bit with any compiler and standard library (the
// std:: distributions are implementation-defined, so we do not use them).
//
// Thread safety: none; one Prng per simulation.

#include <cstdint>

namespace fuzz::sim {

class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n). REQUIRES: n > 0. (The modulo bias is negligible for
  // the small n the simulator uses.)
  uint64_t Uniform(uint64_t n) { return Next() % n; }
  // True with probability num/den.
  bool OneIn(uint64_t den) { return Uniform(den) == 0; }
  bool Percent(uint64_t p) { return Uniform(100) < p; }

 private:
  uint64_t state_;
};

}  // namespace fuzz::sim
