#pragma once

// Helpers shared by tests that run a real Node on a libuv loop of their
// own (tests/server/node, tests/server/api).

#include <gtest/gtest.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "server/node/node.h"

namespace server::testing {

// An empty directory under the temp dir for the running test, named
// "<prefix>-<pid>-<test name>" (made empty if it exists). The test removes
// it when done.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (prefix + "-" + std::to_string(getpid()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `loop` one turn at a time until `done` is true (then true) or
// `timeout` passes (then false).
inline bool RunLoopUntil(
    uv_loop_t* loop, const std::function<bool()>& done,
    std::chrono::seconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    uv_run(loop, UV_RUN_ONCE);
  }
  return true;
}

// A single voter with fixed IDs and a 10 ms tick, 10 ticks per election,
// keeping its raft data in `data_dir`.
inline NodeOptions SingleMemberOptions(const std::string& data_dir) {
  NodeOptions o;
  o.member_id = 0x8e9e05c52164694d;
  o.cluster_id = 0xcdf818194e3a8c32;
  o.initial_voters = {o.member_id};
  o.data_dir = data_dir;
  o.tick_ms = 10;
  o.election_ticks = 10;
  return o;
}

}  // namespace server::testing
