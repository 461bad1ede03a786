#include "tests/e2e/cluster.h"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
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
  auto advertised = [](const MemberInfo& o) {
    return o.advertised_peer_port != 0 ? o.advertised_peer_port : o.peer_port;
  };
  for (const MemberInfo& o : members_) {
    if (!initial.empty()) initial += ",";
    initial += o.name + "=http://127.0.0.1:" + std::to_string(advertised(o));
  }
  if (!m.join_initial_cluster.empty()) initial = m.join_initial_cluster;
  std::string client = "http://127.0.0.1:" + std::to_string(m.client_port);
  std::string listen_peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
  std::string peer = "http://127.0.0.1:" + std::to_string(advertised(m));
  std::vector<std::string> args = {
      flavor_ == Flavor::kCairn ? CairnBinary() : std::string("etcd"),
      "--name=" + m.name,
      "--data-dir=" + m.data_dir,
      "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client,
      "--listen-peer-urls=" + listen_peer,
      "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=" + initial,
      "--initial-cluster-token=" + token_,
      m.join_initial_cluster.empty() ? "--initial-cluster-state=new"
                                     : "--initial-cluster-state=existing",
  };
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  return args;
}

bool Cluster::StartMember(int i, std::string* error) {
  MemberInfo& m = members_[static_cast<size_t>(i)];
  m.process = std::make_unique<Process>();
  return m.process->Start(MemberArgs(i), dir_ + "/" + m.name + ".log", error);
}

MemberInfo Cluster::MakeMember(const std::string& name, int listen_peer_port,
                               int advertised_peer_port) const {
  MemberInfo m;
  m.name = name;
  m.client_port = PickFreePort();
  m.peer_port = listen_peer_port != 0 ? listen_peer_port : PickFreePort();
  m.advertised_peer_port = advertised_peer_port;
  m.data_dir = dir_ + "/" + m.name + ".data";
  return m;
}

int Cluster::NewMember(const std::string& name) {
  members_.push_back(MakeMember(name, 0, 0));
  return size() - 1;
}

std::string Cluster::PeerUrl(int i) const {
  const MemberInfo& m = members_[static_cast<size_t>(i)];
  return "http://127.0.0.1:" + std::to_string(m.advertised_peer_port != 0
                                                  ? m.advertised_peer_port
                                                  : m.peer_port);
}

bool Cluster::StartJoining(int i, const std::string& initial_cluster,
                           std::string* error) {
  members_[static_cast<size_t>(i)].join_initial_cluster = initial_cluster;
  return StartMember(i, error);
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
  return Start(flavor, size, extra_flags, {}, {}, error);
}

std::unique_ptr<Cluster> Cluster::Start(
    Flavor flavor, int size, const std::vector<std::string>& extra_flags,
    const std::vector<int>& listen_peer_ports,
    const std::vector<int>& advertised_peer_ports, std::string* error) {
  std::unique_ptr<Cluster> c(new Cluster());
  c->flavor_ = flavor;
  c->dir_ = MakeTempDir(flavor == Flavor::kCairn ? "cairn-e2e" : "etcd-e2e");
  c->token_ = "e2e-" + std::to_string(getpid());
  c->extra_flags_ = extra_flags;
  for (int i = 0; i < size; ++i) {
    size_t k = static_cast<size_t>(i);
    c->members_.push_back(c->MakeMember(
        "m" + std::to_string(i),
        k < listen_peer_ports.size() ? listen_peer_ports[k] : 0,
        k < advertised_peer_ports.size() ? advertised_peer_ports[k] : 0));
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

namespace {

// The first unsigned number after "key": in a JSON text; 0 if absent.
uint64_t JsonNumber(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":";
  size_t at = json.find(needle);
  if (at == std::string::npos) return 0;
  return std::strtoull(json.c_str() + at + needle.size(), nullptr, 10);
}

}  // namespace

Cluster::Status Cluster::MemberStatus(int i) const {
  Status st;
  CommandResult r = Etcdctl({"endpoint", "status", "-w", "json"}, "", i);
  if (r.exit_code != 0 || r.out.find("\"Status\"") == std::string::npos) {
    return st;
  }
  st.ok = true;
  st.member_id = JsonNumber(r.out, "member_id");
  st.leader = JsonNumber(r.out, "leader");
  st.revision = static_cast<int64_t>(JsonNumber(r.out, "revision"));
  st.raft_term = JsonNumber(r.out, "raftTerm");
  st.raft_index = JsonNumber(r.out, "raftIndex");
  st.applied_index = JsonNumber(r.out, "raftAppliedIndex");
  return st;
}

std::set<std::string> Cluster::KeysOn(int i, const std::string& prefix) const {
  CommandResult r = Etcdctl(
      {"get", prefix, "--prefix", "--keys-only", "--consistency=s"}, "", i);
  std::set<std::string> keys;
  size_t at = 0;
  while (at < r.out.size()) {
    size_t nl = r.out.find('\n', at);
    if (nl == std::string::npos) nl = r.out.size();
    if (nl > at) keys.insert(r.out.substr(at, nl - at));
    at = nl + 1;
  }
  return keys;
}

int Cluster::Leader() const {
  std::vector<Status> all;
  for (int i = 0; i < size(); ++i) {
    const MemberInfo& m = members_[static_cast<size_t>(i)];
    if (!m.process) continue;
    all.push_back(MemberStatus(i));
    if (!all.back().ok || all.back().leader == 0 ||
        all.back().leader != all.front().leader) {
      return -1;
    }
  }
  for (int i = 0, j = 0; i < size(); ++i) {
    if (!members_[static_cast<size_t>(i)].process) continue;
    if (all[static_cast<size_t>(j++)].member_id == all.front().leader) {
      return i;
    }
  }
  return -1;
}

int Cluster::WaitLeader(std::chrono::milliseconds timeout) {
  int leader = -1;
  WaitFor(
      [&] {
        leader = Leader();
        return leader >= 0;
      },
      timeout);
  return leader;
}

std::string Cluster::CheckConverged(std::chrono::milliseconds timeout) {
  std::vector<int> live;
  for (int i = 0; i < size(); ++i) {
    if (running(i)) live.push_back(i);
  }
  int64_t rev = 0;
  std::string why;
  bool same = WaitFor(
      [&] {
        std::vector<Status> st;
        for (int i : live) st.push_back(MemberStatus(i));
        why.clear();
        for (const Status& s : st) {
          if (!s.ok || s.revision != st[0].revision ||
              s.applied_index != st[0].applied_index) {
            why = "members disagree on revision or applied index";
            return false;
          }
        }
        rev = st[0].revision;
        return true;
      },
      timeout);
  if (!same) return why;
  std::string first;
  for (int i : live) {
    CommandResult r =
        Etcdctl({"endpoint", "hashkv", "--rev", std::to_string(rev)}, "", i);
    size_t comma = r.out.find(", ");
    if (r.exit_code != 0 || comma == std::string::npos) {
      return "hashkv on " + members_[static_cast<size_t>(i)].name +
             " failed: " + r.err;
    }
    std::string hash = r.out.substr(comma + 2);
    if (first.empty()) first = hash;
    if (hash != first) {
      return "hashkv at revision " + std::to_string(rev) +
             " differs: " + members_[static_cast<size_t>(i)].name + " says " +
             hash + ", the first member " + first;
    }
  }
  return "";
}

std::string HexId(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(id));
  return buf;
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
  // A random 64-bit ID prints with fewer digits when it has leading zero
  // nibbles (14 digits about once in 270 IDs; etcdctl pads some with
  // spaces to 16); shorter hex runs are masked
  // only where an ID stands, since other output has such runs too.
  static const std::regex* short_id_listed =
      new std::regex("\\b[0-9a-f]{12,14}(?=, (un)?started)");
  static const std::regex* short_id_named = new std::regex(
      "\\b(Member|member|member promote|member remove|member update|"
      "cluster|ID) +[0-9a-f]{12,14}\\b");
  std::string s = std::regex_replace(text, *id_hex, "<id>");
  s = std::regex_replace(s, *short_id_listed, "<id>");
  s = std::regex_replace(s, *short_id_named, "$1 <id>");
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
