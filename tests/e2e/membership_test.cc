// Runtime membership through Debian's etcdctl 3.4: `member add/remove/
// update/promote/list` side by side with a real etcd 3.4 member (IDs and
// URLs masked), and the registry surviving a restart.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/compat.h"

namespace e2e {
namespace {

// Member lines and ETCD_INITIAL_CLUSTER entries come in member ID order,
// which differs between two clusters: sort them.
std::string SortMembers(const std::string& text) {
  static const std::regex* initial =
      new std::regex("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"");
  // etcdctl prints "Member %16x": a 15-digit ID gets a second space.
  static const std::regex* padded = new std::regex("(Member|cluster) +<id>");
  std::string s = std::regex_replace(text, *padded, "$1 <id>");
  std::smatch m;
  if (std::regex_search(s, m, *initial)) {
    std::vector<std::string> parts;
    std::stringstream in(m[1].str());
    for (std::string p; std::getline(in, p, ',');) parts.push_back(p);
    std::sort(parts.begin(), parts.end());
    std::string joined;
    for (const std::string& p : parts)
      joined += (joined.empty() ? "" : ",") + p;
    s = m.prefix().str() + "ETCD_INITIAL_CLUSTER=\"" + joined + "\"" +
        m.suffix().str();
  }
  // Consecutive "<id>, ..." lines of `member list`.
  std::vector<std::string> lines;
  std::stringstream in(s);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  for (size_t i = 0; i < lines.size();) {
    size_t j = i;
    while (j < lines.size() && lines[j].rfind("<id>, ", 0) == 0) ++j;
    std::sort(lines.begin() + static_cast<long>(i),
              lines.begin() + static_cast<long>(j));
    i = j == i ? i + 1 : j;
  }
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// The ID (hex) of the first `member list` line containing `what`.
std::string FindId(const Cluster& c, const std::string& what) {
  CommandResult r = c.Etcdctl({"member", "list"});
  std::stringstream in(r.out);
  for (std::string l; std::getline(in, l);) {
    if (l.find(what) != std::string::npos) return l.substr(0, l.find(','));
  }
  return "none";
}

// Runs `steps` where "{learner}" / "{self}" stand for the unstarted
// learner's and the started member's IDs at that point.
std::vector<std::string> RunMemberSteps(
    const Cluster& c, const std::vector<std::vector<std::string>>& steps) {
  std::vector<std::string> out;
  for (std::vector<std::string> args : steps) {
    for (std::string& a : args) {
      if (a == "{learner}") a = FindId(c, "unstarted");
      if (a == "{self}") a = FindId(c, ", started, ");
    }
    out.push_back(RunStep(c, Step(args), SortMembers));
  }
  return out;
}

TEST(MembershipCompatTest, MemberCommandsMatchEtcd) {
  const std::string a = "http://127.0.0.1:9";
  const std::string b = "http://127.0.0.1:11";
  const std::string c = "http://127.0.0.1:13";
  std::vector<std::vector<std::string>> steps = {
      {"member", "list"},
      {"member", "add", "l1", "--peer-urls", a, "--learner"},
      {"member", "list"},
      {"member", "add", "l2", "--peer-urls", a + "," + c},
      {"member", "add", "l2", "--peer-urls", b, "--learner"},
      {"member", "add", "l2", "--peer-urls", "not a url"},
      {"member", "remove", "1234"},
      {"member", "update", "1234", "--peer-urls", b},
      {"member", "promote", "1234"},
      {"member", "promote", "{learner}"},
      {"member", "promote", "{self}"},
      {"member", "update", "{learner}", "--peer-urls", b},
      {"member", "update", "{learner}", "--peer-urls", b + "," + c},
      {"member", "list"},
      {"member", "remove", "{self}"},
      {"member", "remove", "{learner}"},
      {"member", "remove", "{learner}"},
      {"member", "list"},
  };
  std::vector<std::string> etcd, cairn;
  for (Flavor flavor : {Flavor::kEtcd, Flavor::kCairn}) {
    std::string error;
    auto cluster = Cluster::Start(flavor, 1, {}, &error);
    ASSERT_NE(cluster, nullptr) << error;
    (flavor == Flavor::kEtcd ? etcd : cairn) = RunMemberSteps(*cluster, steps);
  }
  // The reference did what the test expects of it.
  EXPECT_NE(etcd[3].find("Peer URLs already exists"), std::string::npos)
      << etcd[3];
  EXPECT_NE(etcd[9].find("in sync with leader"), std::string::npos) << etcd[9];
  // etcd 3.4's member update forgets that the member is a learner (its
  // UpdateMember sends RaftAttributes without IsLearner; fixed in 3.5):
  // cairn keeps the flag, as raft does.
  const size_t kListAfterUpdate = 13;
  ASSERT_EQ(cairn.size(), steps.size());
  EXPECT_NE(cairn[kListAfterUpdate].find(", , true\n"), std::string::npos)
      << cairn[kListAfterUpdate];
  EXPECT_NE(etcd[kListAfterUpdate].find(", , false\n"), std::string::npos)
      << etcd[kListAfterUpdate];
  cairn[kListAfterUpdate] = etcd[kListAfterUpdate];
  ASSERT_EQ(etcd.size(), cairn.size());
  for (size_t i = 0; i < etcd.size(); ++i) {
    EXPECT_EQ(cairn[i], etcd[i]) << "step " << i;
  }
}

// The registry is stored with the applied entries: a restarted member lists
// the same members, and a removed ID stays removed.
TEST(MembershipTest, RegistrySurvivesRestart) {
  std::string error;
  auto cluster = Cluster::Start(Flavor::kCairn, 1, {}, &error);
  ASSERT_NE(cluster, nullptr) << error;
  ASSERT_EQ(cluster
                ->Etcdctl({"member", "add", "l1", "--peer-urls",
                           "http://127.0.0.1:9", "--learner"})
                .exit_code,
            0);
  std::string learner = FindId(*cluster, "unstarted");
  ASSERT_EQ(cluster
                ->Etcdctl({"member", "update", learner, "--peer-urls",
                           "http://127.0.0.1:11"})
                .exit_code,
            0);
  CommandResult before = cluster->Etcdctl({"member", "list", "-w", "json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;

  cluster->StopMember(0, SIGKILL);
  ASSERT_TRUE(cluster->StartMember(0, &error)) << error;
  ASSERT_TRUE(cluster->WaitHealthy(0, std::chrono::seconds(30)));
  CommandResult list = cluster->Etcdctl({"member", "list"});
  EXPECT_NE(
      list.out.find(learner + ", unstarted, , http://127.0.0.1:11, , true"),
      std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find(", started, m0, "), std::string::npos) << list.out;

  ASSERT_EQ(cluster->Etcdctl({"member", "remove", learner}).exit_code, 0);
  cluster->StopMember(0, SIGTERM);
  ASSERT_TRUE(cluster->StartMember(0, &error)) << error;
  ASSERT_TRUE(cluster->WaitHealthy(0, std::chrono::seconds(30)));
  list = cluster->Etcdctl({"member", "list"});
  EXPECT_EQ(list.out.find(learner), std::string::npos) << list.out;
  CommandResult again = cluster->Etcdctl({"member", "remove", learner});
  EXPECT_NE(again.err.find("member not found"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace e2e
