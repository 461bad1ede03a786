// Compatibility with etcd 3.4: the same etcdctl commands against a cairn
// member and a real etcd member must print the same thing (after masking IDs,
// terms, timings and ports), on stdout and stderr, with the same exit code.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>

#include "tests/e2e/compat.h"

namespace e2e {
namespace {

void ExpectSame(const CompatRun& run) {
  ASSERT_EQ(run.etcd.size(), run.cairn.size());
  // The reference itself worked: etcdctl reached etcd and succeeded at
  // least once.
  EXPECT_TRUE(
      std::any_of(run.etcd.begin(), run.etcd.end(), [](const std::string& t) {
        return t.find("exit=0\n") != std::string::npos;
      }));
  for (size_t i = 0; i < run.etcd.size(); ++i) {
    EXPECT_EQ(run.cairn[i], run.etcd[i]) << "step " << i;
  }
}

TEST(KvCompatTest, PutGetOptions) {
  std::vector<Step> steps = {
      {{"put", "a", "1"}},
      {{"put", "b", "22"}},
      {{"put", "c", "333"}},
      {{"put", "a", "4444"}},
      {{"put", "d", "5", "--prev-kv"}},
      {{"put", "d", "6", "--prev-kv", "-w", "json"}},
      {{"put", "d", "7", "--prev-kv", "-w", "fields"}},
      {{"put", "b", "--ignore-value"}},
      {{"put", "b", "--ignore-value", "-w", "json"}},
      {{"put", "zz", "--ignore-value"}},
      {{"put", "zz", "7", "--ignore-lease"}},
      {{"put", "e", "1", "--lease=1234"}},
      {{"get", "a"}},
      {{"get", "a", "--prefix"}},
      {{"get", "", "--prefix"}},
      {{"get", "b", "--from-key"}},
      {{"get", "a", "--rev=2"}},
      {{"get", "a", "--rev=1"}},
      {{"get", "a", "e", "--limit=2"}},
      {{"get", "a", "e", "--limit=2", "-w", "json"}},
      {{"get", "a", "z", "--order=DESCEND"}},
      {{"get", "a", "z", "--keys-only"}},
      {{"get", "a", "z", "--count-only"}},
      {{"get", "a", "z", "--count-only", "-w", "json"}},
      {{"get", "a", "z", "--print-value-only"}},
      {{"get", "a", "z", "-w", "json"}},
      {{"get", "a", "z", "-w", "fields"}},
      {{"get", "a", "--keys-only", "-w", "json"}},
      {{"get", "nokey"}},
      {{"get", "nokey", "-w", "json"}},
      {{"get", "nokey", "-w", "fields"}},
      {{"get", "a", "--rev=100"}},
  };
  for (const char* by : {"KEY", "CREATE", "MODIFY", "VALUE", "VERSION"}) {
    for (const char* order : {"ASCEND", "DESCEND"}) {
      steps.push_back({{"get", "a", "z", std::string("--sort-by=") + by,
                        std::string("--order=") + order}});
    }
    steps.push_back({{"get", "a", "z", std::string("--sort-by=") + by}});
  }
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunOnBoth({}, steps, &run, &error)) << error;
  ExpectSame(run);
}

TEST(KvCompatTest, DeleteTxnCompaction) {
  std::vector<Step> steps = {
      {{"put", "a", "1"}},
      {{"put", "b", "2"}},
      {{"put", "b2", "3"}},
      {{"put", "c", "4"}},
      {{"put", "d", "6"}},
      {{"del", "nokey"}},
      {{"del", "a", "--prev-kv"}},
      {{"del", "b", "--prefix", "--prev-kv", "-w", "json"}},
      {{"del", "c", "--prev-kv", "-w", "fields"}},
      {{"txn"}, "value(\"d\") = \"6\"\n\nput r1 ok\n\nput r2 bad\n\n"},
      {{"txn"}, "value(\"d\") = \"9\"\n\nput r1 ok\n\nput r2 bad\n\n"},
      {{"txn", "-w", "json"},
       "version(\"d\") = \"1\"\ncreate(\"d\") > \"0\"\nmod(\"d\") < \"100\"\n\n"
       "get d\nput r3 x\ndel r1\n\n\n"},
      {{"txn", "-w", "fields"}, "value(\"d\") != \"6\"\n\n\nget r2\nget d\n\n"},
      {{"txn", "-w", "json"}, "mod(\"nokey\") = \"0\"\n\nget d\n\n\n"},
      {{"get", "", "--prefix"}},
      {{"compact", "3"}},
      {{"compact", "3"}},
      {{"compact", "2"}},
      {{"get", "a", "--rev=2"}},
      {{"get", "b", "--rev=3"}},
      {{"get", "b", "--rev=4"}},
      {{"compact", "1000"}},
      {{"get", "d", "--rev=1000"}},
      {{"get", "d", "-w", "json"}},
  };
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunOnBoth({}, steps, &run, &error)) << error;
  ExpectSame(run);
}

// Options combined: sorting with a limit, counts with a limit, binary keys,
// --hex, physical compaction, multi-compare txns, range deletes.
TEST(KvCompatTest, CombinedOptions) {
  std::vector<Step> steps = {
      {{"put", "a", "1a"}},
      {{"put", "b", "0b"}},
      {{"put", "c", "1c"}},
      {{"put", "d", "1d"}},
      {{"put", "e", "0e"}},
      {{"put", "f", "1f"}},
      {{"put", "a", "9a"}},
      {{"put", "c", "0c"}},
      {{"get", "a", "z", "--sort-by=VALUE", "--order=DESCEND", "--limit=2"}},
      {{"get", "a", "z", "--sort-by=MODIFY", "--limit=3", "-w", "json"}},
      {{"get", "a", "z", "--limit=2", "--count-only", "-w", "json"}},
      {{"get", "a", "--from-key", "--limit=2", "-w", "json"}},
      {{"get", "a", "--prefix", "--rev=3", "-w", "json"}},
      {{"get", "a", "z", "--keys-only", "--limit=1", "-w", "json"}},
      {{"get", "a", "z", "--consistency=s"}},
      {{"put", std::string("kÿ", 3), "bin", "-w", "json"}},
      {{"get", std::string("kÿ", 3), "-w", "json"}},
      {{"get", "k", "--prefix", "--hex"}},
      {{"del", "e", "--from-key", "--prev-kv"}},
      {{"compact", "4", "--physical"}},
      {{"compact", "5", "--physical", "-w", "json"}},
      {{"get", "a", "--rev=4"}},
      {{"get", "a", "--rev=3"}},
      {{"txn", "-w", "json"},
       "create(\"nokey\") = \"0\"\nversion(\"nokey\") = \"0\"\n\n"
       "put nokey 1\n\n\n"},
      {{"txn"},
       "value(\"a\") > \"5\"\nvalue(\"c\") < \"1\"\n\nget a\n\ndel a\n\n"},
      {{"txn", "-w", "json"},
       "mod(\"a\") = \"7\"\n\nget a --prefix\nget --from-key b\n\n\n"},
      {{"txn"}, "\n\n\n\n"},
      {{"del", "a", "z", "-w", "json"}},
      {{"get", "", "--from-key", "-w", "json"}},
  };
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunOnBoth({}, steps, &run, &error)) << error;
  ExpectSame(run);
}

// Status carries sizes and raft indexes that legitimately differ (SQLite vs
// bbolt, a different number of bootstrap entries): mask them.
std::string MaskStatus(const std::string& text) {
  static const std::regex* json = new std::regex(
      "\"(dbSize|dbSizeInUse|raftIndex|raftAppliedIndex|raftTerm|revision)\":"
      "[0-9]+");
  // Table: size, is leader, is learner, raft term, index, applied index.
  static const std::regex* table = new std::regex(
      "[0-9.]+ [kMG]?B, (true|false), (true|false), [0-9]+, [0-9]+, [0-9]+");
  std::string s = std::regex_replace(text, *json, "\"$1\":<n>");
  return std::regex_replace(s, *table, "<size>, $1, $2, <term>, <n>, <n>");
}

TEST(KvCompatTest, EndpointAndMembers) {
  std::vector<Step> steps = {
      {{"endpoint", "status"}}, {{"endpoint", "status", "-w", "json"}},
      {{"endpoint", "health"}}, {{"endpoint", "health", "-w", "json"}},
      {{"member", "list"}},     {{"member", "list", "-w", "json"}},
  };
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunOnBoth({}, steps, &run, &error, &MaskStatus)) << error;
  ExpectSame(run);
}

// What protocol_client.py prints for each of `cases` (a case name and its
// argument), against a fresh etcd and a fresh cairn member.
std::map<Flavor, std::string> PythonOnBoth(
    const std::vector<std::pair<std::string, std::string>>& cases) {
  std::map<Flavor, std::string> out;
  for (Flavor flavor : {Flavor::kEtcd, Flavor::kCairn}) {
    std::string error;
    auto cluster = Cluster::Start(flavor, 1, {}, &error);
    EXPECT_NE(cluster, nullptr) << error;
    if (cluster == nullptr) return out;
    for (const auto& [name, arg] : cases) {
      CommandResult r = RunCommand(
          {"/usr/bin/python3", CAIRN_PROTOCOL_CLIENT,
           std::to_string(cluster->member(0).client_port), name, arg});
      EXPECT_EQ(r.exit_code, 0) << r.err;
      out[flavor] += r.out;
    }
  }
  return out;
}

// GET /health and /version over HTTP/1.1 on the client port.
TEST(HttpCompatTest, HealthAndVersion) {
  auto out = PythonOnBoth({{"http_get", "/health"}, {"http_get", "/version"}});
  EXPECT_NE(out[Flavor::kEtcd].find("200 "), std::string::npos);
  EXPECT_EQ(out[Flavor::kCairn], out[Flavor::kEtcd]);
}

// Raw gRPC requests etcdctl never sends (odd enums, negative numbers, nested
// and range compares in txns, unknown fields): same code and message, or the
// same response bytes but for the header.
TEST(RawCompatTest, UnusualRequests) {
  auto out = PythonOnBoth({{"raw", ""}});
  EXPECT_NE(out[Flavor::kEtcd].find("compact_negative "), std::string::npos);
  EXPECT_EQ(out[Flavor::kCairn], out[Flavor::kEtcd]);
}

// Once divergences, now fixed in kvstore: etcd's compaction floor of -1
// (compact 0 on a fresh member) and unknown compare targets and results.
TEST(RawCompatTest, CompactZeroAndUnknownCompareEnums) {
  auto out = PythonOnBoth({{"raw_divergent", ""}});
  EXPECT_EQ(out[Flavor::kCairn], out[Flavor::kEtcd]);
}

// The errors etcd gives for bad requests: same text on stderr, same exit
// code.
TEST(ErrorCompatTest, LimitsAndBadRequests) {
  std::string big(3000, 'x');
  std::vector<Step> steps = {
      {{"put", "", "x"}},
      {{"get", ""}},
      {{"del", ""}},
      {{"put", "k", big}},
      {{"put", "k", "small"}},
      {{"txn"}, "\nput t1 a\nput t2 b\nput t3 c\n\n\n"},
      {{"txn"}, "\nput t1 a\nput t1 b\n\n\n"},
      {{"txn"}, "\nput t1 a\ndel t1\n\n\n"},
      {{"txn"}, "\nput t1 a\nput t2 b\n\n\n"},
      {{"compact", "2"}},
      {{"get", "k", "--rev=1"}},
      {{"get", "k", "--rev=99"}},
      {{"compact", "99"}},
  };
  CompatRun run;
  std::string error;
  ASSERT_TRUE(RunOnBoth({"--max-request-bytes=1024", "--max-txn-ops=2"}, steps,
                        &run, &error))
      << error;
  ExpectSame(run);
}

}  // namespace
}  // namespace e2e
