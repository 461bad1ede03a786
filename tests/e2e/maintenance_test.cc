// The Maintenance service against real etcdctl 3.4: alarms and the backend
// quota (side by side with a real etcd where the output is deterministic),
// defragmentation, hashes, snapshot save, move-leader, endpoint status.

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/compat.h"

namespace e2e {
namespace {

// Alarm texts carry the member ID in decimal.
std::string MaskAlarmMembers(const std::string& text) {
  static const std::regex* id = new std::regex("memberID:[0-9]+");
  return std::regex_replace(text, *id, "memberID:<id>");
}

void ExpectSame(const CompatRun& run) {
  ASSERT_EQ(run.etcd.size(), run.cairn.size());
  for (size_t i = 0; i < run.etcd.size(); ++i) {
    EXPECT_EQ(run.cairn[i], run.etcd[i]) << "step " << i;
  }
}

// With a quota of one byte every write that grows the database is over it:
// both servers raise NOSPACE on the first put, and from then on refuse
// puts and grants while reads, deletes, compaction and disarming work.
TEST(MaintenanceCompatTest, NoSpaceAlarm) {
  std::vector<Step> steps = {
      {{"alarm", "list"}},
      {{"put", "a", "1"}},
      {{"alarm", "list"}},
      {{"endpoint", "status", "-w", "fields"}},
      {{"put", "b", "2"}},
      {{"get", "a"}},
      {{"del", "a"}},
      {{"txn"}, "\ndel a\n\n"},
      {{"txn"}, "\nput a 1\n\n"},
      {{"compaction", "1"}},
      {{"defrag"}},
      {{"alarm", "disarm"}},
      {{"alarm", "list"}},
      {{"put", "a", "1"}},
      {{"alarm", "list"}},
      {{"move-leader", "1234"}},
  };
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunOnBoth({"--quota-backend-bytes", "1"}, steps, &run, &error,
                        MaskAlarmMembers))
      << error;
  // The reference behaved as described above.
  EXPECT_NE(run.etcd[1].find("database space exceeded"), std::string::npos)
      << run.etcd[1];
  EXPECT_NE(run.etcd[2].find("alarm:NOSPACE"), std::string::npos);
  // endpoint status -w fields prints sizes and indexes that differ between
  // the two servers: compare only its Errors line.
  for (std::string* s : {&run.etcd[3], &run.cairn[3]}) {
    size_t at = s->find("\"Errors\"");
    ASSERT_NE(at, std::string::npos) << *s;
    *s = s->substr(at, s->find('\n', at) - at);
  }
  ExpectSame(run);
}

class MaintenanceTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& flags) {
    std::string error;
    cluster_ = Cluster::Start(Flavor::kCairn, 1, flags, &error);
    ASSERT_NE(cluster_, nullptr) << error;
  }
  CommandResult Ctl(const std::vector<std::string>& args) {
    return cluster_->Etcdctl(args);
  }
  // "<field>" of `endpoint status -w fields`, e.g. "DBSize".
  int64_t StatusField(const std::string& field) {
    CommandResult r = Ctl({"endpoint", "status", "-w", "fields"});
    std::smatch m;
    std::regex re("\"" + field + "\" : ([0-9]+)");
    if (!std::regex_search(r.out, m, re)) {
      ADD_FAILURE() << r.out << r.err;
      return -1;
    }
    return std::stoll(m[1]);
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_F(MaintenanceTest, QuotaAlarmSurvivesRestartUntilSpaceIsFreed) {
  Start({"--quota-backend-bytes", "400000"});
  const std::string value(20000, 'v');
  int failed_at = -1;
  for (int i = 0; i < 40 && failed_at < 0; ++i) {
    CommandResult r = Ctl({"put", "k" + std::to_string(i), value});
    if (r.exit_code != 0) {
      failed_at = i;
      EXPECT_NE(r.err.find("etcdserver: mvcc: database space exceeded"),
                std::string::npos)
          << r.err;
    }
  }
  ASSERT_GT(failed_at, 5) << "the quota refused writes too early";
  EXPECT_NE(Ctl({"alarm", "list"}).out.find("alarm:NOSPACE"),
            std::string::npos);
  // The alarm is in the replicated state: a restart keeps it.
  cluster_->StopMember(0, SIGKILL);
  std::string error;
  ASSERT_TRUE(cluster_->StartMember(0, &error)) << error;
  ASSERT_TRUE(cluster_->WaitHealthy(0, std::chrono::seconds(10)));
  EXPECT_NE(Ctl({"alarm", "list"}).out.find("alarm:NOSPACE"),
            std::string::npos);
  CommandResult small = Ctl({"put", "x", "1"});
  EXPECT_NE(small.exit_code, 0);
  EXPECT_NE(Ctl({"endpoint", "status"}).out.find("alarm:NOSPACE"),
            std::string::npos);
  // Disarming alone does not help: the database is still too full for
  // another big value, and the alarm comes back.
  EXPECT_EQ(Ctl({"alarm", "disarm"}).exit_code, 0);
  EXPECT_NE(Ctl({"put", "x", value}).exit_code, 0);
  EXPECT_NE(Ctl({"alarm", "list"}).out.find("alarm:NOSPACE"),
            std::string::npos);
  // Free the space: delete, compact, defragment, disarm.
  int64_t size_full = StatusField("DBSize");
  ASSERT_EQ(Ctl({"del", "k", "--prefix"}).exit_code, 0);
  int64_t rev = StatusField("Revision");
  ASSERT_EQ(Ctl({"compaction", std::to_string(rev)}).exit_code, 0);
  CommandResult defrag = Ctl({"defrag"});
  EXPECT_EQ(defrag.exit_code, 0) << defrag.err;
  EXPECT_NE(defrag.out.find("Finished defragmenting etcd member"),
            std::string::npos);
  EXPECT_LT(StatusField("DBSize"), size_full / 4);
  EXPECT_EQ(Ctl({"alarm", "disarm"}).exit_code, 0);
  EXPECT_EQ(Ctl({"alarm", "list"}).out, "");
  CommandResult put = Ctl({"put", "x", value});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(Ctl({"get", "x", "--print-value-only"}).out, value + "\n");
}

TEST_F(MaintenanceTest, HashKvIsStableAndFollowsWrites) {
  Start({});
  ASSERT_EQ(Ctl({"put", "a", "1"}).exit_code, 0);
  auto hash = [&](const std::string& rev) {
    CommandResult r = Ctl({"endpoint", "hashkv", "--rev", rev, "-w", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::smatch m;
    std::regex re("\"hash\":([0-9]+)");
    return std::regex_search(r.out, m, re) ? std::string(m[1]) : r.out;
  };
  std::string h2 = hash("2");
  ASSERT_EQ(Ctl({"put", "b", "2"}).exit_code, 0);
  EXPECT_EQ(hash("2"), h2);  // History up to 2 did not change.
  EXPECT_NE(hash("3"), h2);
  cluster_->StopMember(0, SIGTERM);
  std::string error;
  ASSERT_TRUE(cluster_->StartMember(0, &error)) << error;
  ASSERT_TRUE(cluster_->WaitHealthy(0, std::chrono::seconds(10)));
  EXPECT_EQ(hash("2"), h2);
  CommandResult future = Ctl({"endpoint", "hashkv", "--rev", "100"});
  EXPECT_NE(future.err.find("required revision is a future revision"),
            std::string::npos)
      << future.err;
}

TEST_F(MaintenanceTest, SnapshotSaveWritesTheDatabaseWithItsChecksum) {
  Start({});
  const std::string value(3000, 'v');
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Ctl({"put", "k" + std::to_string(i), value}).exit_code, 0);
  }
  std::string path = cluster_->dir() + "/saved.db";
  CommandResult r = Ctl({"snapshot", "save", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Snapshot saved at " + path), std::string::npos);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  // etcdctl's own check passed (size mod 512 = 32); check what it skips:
  // the trailer is the SHA-256 of the database, which is a SQLite file
  // holding the keys.
  ASSERT_GT(bytes.size(), 50u * 3000u);
  EXPECT_EQ(bytes.size() % 512, 32u);
  std::string db = bytes.substr(0, bytes.size() - 32);
  unsigned char sha[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(db.data()), db.size(), sha);
  EXPECT_EQ(bytes.substr(db.size()),
            std::string(reinterpret_cast<char*>(sha), sizeof(sha)));
  EXPECT_EQ(db.substr(0, 16), std::string("SQLite format 3\0", 16));
  // etcdctl 3.4's `snapshot status` opens the file as bbolt, which it is
  // not: it refuses it (docs/operations.md says so).
  CommandResult status = Ctl({"snapshot", "status", path});
  EXPECT_NE(status.exit_code, 0);
  EXPECT_NE(status.err.find("invalid database"), std::string::npos)
      << status.err;
  // The member left no temporary copy behind.
  CommandResult ls = RunCommand(
      {"find", cluster_->member(0).data_dir, "-name", "client-snapshot-*"});
  EXPECT_EQ(ls.out, "");
}

TEST_F(MaintenanceTest, MoveLeaderOnASingleMember) {
  Start({});
  CommandResult st = Ctl({"endpoint", "status"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(st.out, m, std::regex(", ([0-9a-f]{12,16}), ")))
      << st.out;
  std::string self = m[1];
  CommandResult to_self = Ctl({"move-leader", self});
  EXPECT_EQ(to_self.exit_code, 0) << to_self.err;
  EXPECT_EQ(to_self.out,
            "Leadership transferred from " + self + " to " + self + "\n");
  CommandResult bad = Ctl({"move-leader", "1234"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("Error: etcdserver: bad leader transferee"),
            std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace e2e
