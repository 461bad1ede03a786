#include "tests/e2e/cluster.h"

#include <signal.h>

#include <regex>

namespace e2e {

std::string CairnBinary() {
#ifdef CAIRN_BINARY
  return CAIRN_BINARY;
#else
  return "cairn";
#endif
}

Cluster::~Cluster() {
  for (MemberInfo& m : members_) {
    if (m.process) m.process->Stop(SIGKILL);
  }
  if (!keep_data_) RemoveTree(dir_);
}

std::string Cluster::Endpoints(int i) const {
  std::string s;
  for (int j = 0; j < static_cast<int>(members_.size()); ++j) {
    if (i >= 0 && j != i) continue;
    if (!s.empty()) s += ",";
    s += "127.0.0.1:" +
         std::to_string(members_[static_cast<size_t>(j)].client_port);
  }
  return s;
}

std::vector<std::string> Cluster::MemberArgs(int i) const {
  const MemberInfo& m = members_[static_cast<size_t>(i)];
  std::string initial;
  for (const MemberInfo& o : members_) {
    if (!initial.empty()) initial += ",";
    initial += o.name + "=http://127.0.0.1:" + std::to_string(o.peer_port);
  }
  std::string client = "http://127.0.0.1:" + std::to_string(m.client_port);
  std::string peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
  std::vector<std::string> args = {
      flavor_ == Flavor::kCairn ? CairnBinary() : std::string("etcd"),
      "--name=" + m.name,
      "--data-dir=" + m.data_dir,
      "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client,
      "--listen-peer-urls=" + peer,
      "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=" + initial,
      "--initial-cluster-token=" + token_,
      "--initial-cluster-state=new",
  };
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  return args;
}

bool Cluster::StartMember(int i, std::string* error) {
  MemberInfo& m = members_[static_cast<size_t>(i)];
  m.process = std::make_unique<Process>();
  return m.process->Start(MemberArgs(i), dir_ + "/" + m.name + ".log", error);
}

void Cluster::StopMember(int i, int sig) {
  MemberInfo& m = members_[static_cast<size_t>(i)];
  if (m.process) m.process->Stop(sig);
}

bool Cluster::WaitHealthy(int i, std::chrono::milliseconds timeout) {
  return WaitFor(
      [&] {
        MemberInfo& m = members_[static_cast<size_t>(i)];
        if (!m.process || !m.process->running()) return false;
        if (!CanConnect(m.client_port)) return false;
        CommandResult r = Etcdctl({"endpoint", "health"}, "", i);
        return r.exit_code == 0;
      },
      timeout);
}

std::unique_ptr<Cluster> Cluster::Start(
    Flavor flavor, int size, const std::vector<std::string>& extra_flags,
    std::string* error) {
  std::unique_ptr<Cluster> c(new Cluster());
  c->flavor_ = flavor;
  c->dir_ = MakeTempDir(flavor == Flavor::kCairn ? "cairn-e2e" : "etcd-e2e");
  c->token_ = "e2e-" + std::to_string(getpid());
  c->extra_flags_ = extra_flags;
  for (int i = 0; i < size; ++i) {
    MemberInfo m;
    m.name = "m" + std::to_string(i);
    m.client_port = PickFreePort();
    m.peer_port = PickFreePort();
    m.data_dir = c->dir_ + "/" + m.name + ".data";
    c->members_.push_back(std::move(m));
  }
  for (int i = 0; i < size; ++i) {
    if (!c->StartMember(i, error)) return nullptr;
  }
  for (int i = 0; i < size; ++i) {
    if (!c->WaitHealthy(i, std::chrono::seconds(30))) {
      *error = "member " + c->members_[static_cast<size_t>(i)].name +
               " did not become healthy; log:\n" +
               c->members_[static_cast<size_t>(i)].process->ReadLog();
      c->KeepData();
      return nullptr;
    }
  }
  return c;
}

CommandResult Cluster::Etcdctl(const std::vector<std::string>& args,
                               const std::string& input, int member) const {
  std::vector<std::string> argv = {
      "etcdctl", "--endpoints=" + Endpoints(member), "--dial-timeout=2s",
      "--command-timeout=10s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, input, std::chrono::seconds(30),
                    {{"ETCDCTL_API", "3"}});
}

std::string NormalizeEtcdctlOutput(const std::string& text) {
  static const std::regex* id_hex = new std::regex("\\b[0-9a-f]{15,16}\\b");
  static const std::regex* id_dec =
      new std::regex("\"(cluster_id|member_id|ID|leader|id)\":[0-9]+");
  static const std::regex* term = new std::regex("\"raft_term\":[0-9]+");
  // -w fields prints "Name" : value.
  static const std::regex* fields =
      new std::regex("\"(ClusterID|MemberID|RaftTerm)\" : [0-9]+");
  static const std::regex* took =
      new std::regex("took(\":\"| = | )[0-9.]+[a-zµ]+");
  // etcdctl's retry warnings: a timestamp and a per-process client UUID.
  static const std::regex* ts = new std::regex("\"ts\":\"[^\"]*\"");
  static const std::regex* client =
      new std::regex("endpoint://client-[0-9a-f-]+/");
  static const std::regex* endpoint = new std::regex("127\\.0\\.0\\.1:[0-9]+");
  std::string s = std::regex_replace(text, *id_hex, "<id>");
  s = std::regex_replace(s, *id_dec, "\"$1\":<id>");
  s = std::regex_replace(s, *term, "\"raft_term\":<term>");
  s = std::regex_replace(s, *fields, "\"$1\" : <id>");
  s = std::regex_replace(s, *took, "took$1<time>");
  s = std::regex_replace(s, *ts, "\"ts\":<ts>");
  s = std::regex_replace(s, *client, "endpoint://client-<uuid>/");
  s = std::regex_replace(s, *endpoint, "<endpoint>");
  return s;
}

}  // namespace e2e
