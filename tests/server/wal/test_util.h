#pragma once

// Helpers for the WAL and snapshot tests: TempDir, a fresh directory under
// $TMPDIR (or /tmp) removed with its contents when the object dies; and
// TestSeed(), the seed of randomized tests.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "base/check.h"

namespace server::wal::testutil {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/cairn-wal-XXXXXX";
    CAIRN_CHECK(mkdtemp(tmpl.data()) != nullptr, "mkdtemp %s", tmpl.c_str());
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The seed for a randomized test: $CAIRN_TEST_SEED if set (to replay a
// failure), else a random one. Printed either way.
inline uint32_t TestSeed() {
  uint32_t seed;
  if (const char* env = std::getenv("CAIRN_TEST_SEED")) {
    seed = static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
  } else {
    seed = std::random_device{}();
  }
  std::printf("seed %u (replay with CAIRN_TEST_SEED=%u)\n", seed, seed);
  return seed;
}

}  // namespace server::wal::testutil
