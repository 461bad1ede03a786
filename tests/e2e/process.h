#pragma once

// Test helpers that run real processes: members (cairn or etcd) and clients
// (etcdctl), on 127.0.0.1 ports the test picks. Every Process is killed and
// reaped by its destructor, so a failing test leaves nothing running.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace e2e {

// A port that was free a moment ago: bound to 127.0.0.1:0, read back, closed.
// Ports handed out by one test process are never repeated.
int PickFreePort();

// A fresh empty directory under the test temp dir; removed by the caller
// with RemoveTree (or left for inspection when a test fails).
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out.
  std::string out;
  std::string err;
};

// Runs argv[0] with argv (found on PATH), feeding `input` on stdin, and waits
// up to `timeout` for it to exit (then kills it).
CommandResult RunCommand(
    const std::vector<std::string>& argv, const std::string& input = "",
    std::chrono::milliseconds timeout = std::chrono::seconds(30),
    const std::map<std::string, std::string>& env = {});

// A long-running child process whose stdout and stderr go to `log_path`.
class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv. Returns false (with the reason in *error) on failure.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path,
             std::string* error);
  bool running();
  // Sends `sig` and, for SIGKILL/SIGTERM/SIGINT, waits up to `timeout` for
  // the exit. Returns the exit status as waitpid reports it (or -1).
  int Stop(int sig,
           std::chrono::milliseconds timeout = std::chrono::seconds(20));
  pid_t pid() const { return pid_; }
  // The waitpid status of the last exit seen by running() or Stop(); -1
  // before that.
  int exit_status() const { return exit_status_; }
  const std::string& log_path() const { return log_path_; }
  // The whole log written so far.
  std::string ReadLog() const;

 private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::string log_path_;
};

// Polls `ready` every 50 ms until it returns true or `timeout` passes.
bool WaitFor(const std::function<bool()>& ready,
             std::chrono::milliseconds timeout);

// True when a TCP connection to 127.0.0.1:port succeeds.
bool CanConnect(int port);

}  // namespace e2e
