#include "tests/e2e/compat.h"

#include <thread>

namespace e2e {

std::string RunStep(const Cluster& cluster, const Step& step,
                    std::string (*extra)(const std::string&)) {
  CommandResult r = cluster.Etcdctl(step.args, step.input);
  std::string text = "$";
  for (const std::string& a : step.args) text += " " + a;
  text += "\n" + r.out;
  if (!r.err.empty()) text += "stderr:\n" + r.err;
  text += "exit=" + std::to_string(r.exit_code) + "\n";
  text = NormalizeEtcdctlOutput(text);
  return extra != nullptr ? extra(text) : text;
}

bool RunOnBoth(const std::vector<std::string>& flags,
               const std::vector<Step>& steps, CompatRun* run,
               std::string* error, std::string (*extra)(const std::string&)) {
  for (Flavor flavor : {Flavor::kEtcd, Flavor::kCairn}) {
    auto cluster = Cluster::Start(flavor, 1, flags, error);
    if (cluster == nullptr) return false;
    std::vector<std::string>& out =
        flavor == Flavor::kEtcd ? run->etcd : run->cairn;
    for (const Step& step : steps)
      out.push_back(RunStep(*cluster, step, extra));
  }
  return true;
}

std::string RunScript(const Cluster& cluster, const char* script) {
  CommandResult r = RunCommand(
      {"sh", "-c", script}, "", std::chrono::seconds(60),
      {{"ETCDCTL_API", "3"}, {"ETCDCTL_ENDPOINTS", cluster.Endpoints()}});
  return NormalizeEtcdctlOutput(r.out + "stderr:\n" + r.err);
}

bool RunScriptOnBoth(const std::vector<std::string>& flags, const char* script,
                     CompatRun* run, std::string* error) {
  auto etcd = Cluster::Start(Flavor::kEtcd, 1, flags, error);
  if (etcd == nullptr) return false;
  auto cairn = Cluster::Start(Flavor::kCairn, 1, flags, error);
  if (cairn == nullptr) return false;
  std::string from_etcd;
  std::thread t([&] { from_etcd = RunScript(*etcd, script); });
  run->cairn.push_back(RunScript(*cairn, script));
  t.join();
  run->etcd.push_back(std::move(from_etcd));
  return true;
}

}  // namespace e2e
