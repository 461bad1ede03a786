#pragma once

// Side-by-side runs of one etcdctl command sequence against a cairn member
// and a real etcd 3.4 member started with the same flags.

#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/cluster.h"

namespace e2e {

// One etcdctl invocation: its arguments and what it reads on stdin.
struct Step {
  Step(std::vector<std::string> a, std::string in = "")
      : args(std::move(a)), input(std::move(in)) {}
  std::vector<std::string> args;
  std::string input;
};

// What one step printed, normalized: "$ <args>\n<stdout>[stderr:\n<stderr>]
// exit=<code>\n". `extra` is applied after NormalizeEtcdctlOutput.
std::string RunStep(const Cluster& cluster, const Step& step,
                    std::string (*extra)(const std::string&) = nullptr);

// Starts one etcd and one cairn member with `flags`, runs `steps` on each
// (in that order, each sequence against its own member) and records both
// transcripts. Returns false with *error when a member did not start.
struct CompatRun {
  std::vector<std::string> etcd;
  std::vector<std::string> cairn;
};
bool RunOnBoth(const std::vector<std::string>& flags,
               const std::vector<Step>& steps, CompatRun* run,
               std::string* error,
               std::string (*extra)(const std::string&) = nullptr);

// Runs the shell `script` (with etcdctl on PATH, ETCDCTL_API=3 and
// ETCDCTL_ENDPOINTS aimed at `cluster`) and returns its stdout, then
// "stderr:\n" and its stderr, normalized (NormalizeEtcdctlOutput).
std::string RunScript(const Cluster& cluster, const char* script);

// Starts one etcd and one cairn member (with `flags`) and runs `script`
// against both at once. Returns false with *error when a member did not
// start.
bool RunScriptOnBoth(const std::vector<std::string>& flags, const char* script,
                     CompatRun* run, std::string* error);

}  // namespace e2e
