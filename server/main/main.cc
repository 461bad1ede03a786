// cairn: one member of a Cairn cluster. See README.md and docs/.

#include <signal.h>
#include <uv.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "base/log.h"
#include "server/config/flags.h"
#include "server/main/member.h"

namespace {

struct Signals {
  uv_signal_t sigint;
  uv_signal_t sigterm;
};

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto parsed = server::ParseCommandLine(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "cairn: %s\n", parsed.status().message().c_str());
    return 1;
  }
  if (parsed->exit_now) {
    std::fputs(parsed->output.c_str(), stdout);
    return 0;
  }
  const server::ServerConfig& config = parsed->config;
  base::SetLogLevel(config.log_level);
  signal(SIGPIPE, SIG_IGN);

  uv_loop_t* loop = uv_default_loop();
  int exit_code = 0;
  bool shutting_down = false;
  std::unique_ptr<server::Member> member;
  Signals signals;

  auto shutdown = [&](int code) {
    if (shutting_down) return;
    shutting_down = true;
    exit_code = code;
    uv_close(reinterpret_cast<uv_handle_t*>(&signals.sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&signals.sigterm), nullptr);
    member->Shutdown([] { CAIRN_LOG(kInfo, "member", "stopped"); });
  };

  auto opened = server::Member::Open(loop, config, [&](const base::Status& s) {
    CAIRN_LOG(kError, "member", "stopping after a fatal error: %s",
              s.ToString().c_str());
    shutdown(2);
  });
  if (!opened.ok()) {
    std::fprintf(stderr, "cairn: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  member = std::move(opened).value();
  base::Status started = member->Start();
  if (!started.ok()) {
    std::fprintf(stderr, "cairn: %s\n", started.ToString().c_str());
    member->Shutdown([] {});
    uv_run(loop, UV_RUN_DEFAULT);
    member.reset();
    return 1;
  }

  uv_signal_init(loop, &signals.sigint);
  uv_signal_init(loop, &signals.sigterm);
  signals.sigint.data = &shutdown;
  signals.sigterm.data = &shutdown;
  auto on_signal = [](uv_signal_t* h, int signum) {
    CAIRN_LOG(kInfo, "member", "received signal %d, shutting down", signum);
    (*static_cast<decltype(shutdown)*>(h->data))(0);
  };
  uv_signal_start(&signals.sigint, on_signal, SIGINT);
  uv_signal_start(&signals.sigterm, on_signal, SIGTERM);

  uv_run(loop, UV_RUN_DEFAULT);
  member.reset();
  uv_run(loop, UV_RUN_DEFAULT);  // Close callbacks of what the member owned.
  int rc = uv_loop_close(loop);
  if (rc != 0) {
    CAIRN_LOG(kWarn, "member", "loop closed with handles still open");
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cairn: fatal: %s\n", e.what());
    return 3;
  }
}
