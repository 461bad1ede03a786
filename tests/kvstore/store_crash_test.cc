// Crash tests (after leveldb's fault_injection_test): a child process
// applies a fixed workload in batches and is killed (SIGKILL) at the k-th
// write point, for every k; the parent reopens the database, replays the
// whole log (entries at or below the consistent index must be skipped) and
// checks that the state equals that of a store that never crashed. A second
// test fails the transaction at each write point instead (an injected I/O
// error), checks the failure is sticky, and recovers the same way.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/kvstore/store_test_util.h"

namespace kvstore::testing {
namespace {

const std::string kNul("\0", 1);

// The log: puts, deletes, txns, leases and a compaction.
std::vector<cairnpb::InternalRequest> Workload() {
  std::vector<cairnpb::InternalRequest> log;
  log.push_back(GrantReq(0, 60));  // ID chosen from the index
  log.push_back(GrantReq(77, 60));
  for (int i = 0; i < 12; ++i) {
    log.push_back(PutReq("k" + std::to_string(i % 5), "v" + std::to_string(i),
                         i % 4 == 0 ? 77 : 0));
  }
  log.push_back(DelReq("k1", "k3", true));
  cairnpb::InternalRequest txn;
  auto* c = txn.mutable_txn()->add_compare();
  c->set_key("k0");
  c->set_target(etcdserverpb::Compare::VERSION);
  c->set_result(etcdserverpb::Compare::GREATER);
  c->set_version(0);
  txn.mutable_txn()->add_success()->mutable_request_put()->set_key("t1");
  txn.mutable_txn()->add_success()->mutable_request_delete_range()->set_key(
      "k4");
  log.push_back(txn);
  log.push_back(CompactReq(8));
  log.push_back(RevokeReq(77));
  for (int i = 0; i < 6; ++i) {
    log.push_back(PutReq("z" + std::to_string(i), std::string(100, 'x')));
  }
  log.push_back(DelReq(kNul, kNul));
  log.push_back(PutReq("last", "v"));
  return log;
}

// Applies the log in batches of 1, 2, 3, 1, 2, 3... entries.
base::Status ApplyLog(Store* s,
                      const std::vector<cairnpb::InternalRequest>& log) {
  size_t i = 0;
  for (size_t batch = 1; i < log.size(); batch = batch % 3 + 1) {
    CAIRN_RETURN_IF_ERROR(s->BeginBatch());
    for (size_t j = 0; j < batch && i < log.size(); ++j, ++i) {
      CAIRN_ASSIGN_OR_RETURN(ApplyResult r, s->Apply(i + 1, log[i]));
      (void)r;
    }
    CAIRN_RETURN_IF_ERROR(s->CommitBatch());
  }
  return {};
}

struct Fingerprint {
  uint32_t hash = 0;
  int64_t rev = 0, compact = 0;
  uint64_t index = 0;
  std::string leases, all;

  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

Fingerprint Take(Store* s) {
  Fingerprint f;
  f.hash = s->HashKV(0)->hash;
  f.rev = s->CurrentRevision();
  f.compact = s->CompactRevision();
  f.index = s->ConsistentIndex();
  f.leases = s->LeaseLeases().ShortDebugString();
  f.all = s->Range(RangeOf(kNul, kNul))->ShortDebugString();
  return f;
}

Options Opts(FaultHook hook) {
  Options o;
  o.clock = [] { return int64_t{0}; };
  o.fault_hook = std::move(hook);
  return o;
}

class StoreCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = Workload();
    auto s = Store::Open(dir_.File("ref"), Opts([&](std::string_view) {
                           ++write_points_;
                           return base::Status();
                         }));
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(ApplyLog(s->get(), log_).ok());
    want_ = Take(s->get());
    ASSERT_EQ(want_.index, log_.size());
  }

  // Reopens the database at `path`, replays the whole log and checks the
  // result.
  void RecoverAndCheck(const std::string& path) {
    auto s = Store::Open(path, Opts(nullptr));
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE(ApplyLog(s->get(), log_).ok());
    EXPECT_EQ(Take(s->get()), want_);
  }

  TempDir dir_;
  std::vector<cairnpb::InternalRequest> log_;
  int write_points_ = 0;
  Fingerprint want_;
};

TEST_F(StoreCrashTest, KillAtEveryWritePoint) {
  ASSERT_GT(write_points_, 50);
  std::printf("%d write points\n", write_points_);
  for (int k = 1; k <= write_points_; ++k) {
    SCOPED_TRACE("killed at write point " + std::to_string(k));
    const std::string path = dir_.File("crash" + std::to_string(k));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int n = 0;
      auto s = Store::Open(path, Opts([&](std::string_view) {
                             if (++n == k) kill(getpid(), SIGKILL);
                             return base::Status();
                           }));
      if (s.ok()) (void)ApplyLog(s->get(), log_);
      _exit(0);  // not reached when k <= write points
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child status " << status;
    RecoverAndCheck(path);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

TEST_F(StoreCrashTest, FailTransactionAtEveryWritePoint) {
  for (int k = 1; k <= write_points_; ++k) {
    SCOPED_TRACE("failed at write point " + std::to_string(k));
    const std::string path = dir_.File("fail" + std::to_string(k));
    {
      int n = 0;
      auto s = Store::Open(path, Opts([&](std::string_view point) {
                             if (++n == k) {
                               return base::Status::Internal(
                                   "injected at " + std::string(point));
                             }
                             return base::Status();
                           }));
      if (!s.ok()) {  // the write point was in Open itself
        EXPECT_NE(s.status().message().find("injected"), std::string::npos);
      } else {
        base::Status st = ApplyLog(s->get(), log_);
        ASSERT_FALSE(st.ok());
        EXPECT_NE(st.message().find("injected"), std::string::npos);
        EXPECT_EQ((*s)->health(), st);  // sticky
      }
    }
    RecoverAndCheck(path);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

}  // namespace
}  // namespace kvstore::testing
