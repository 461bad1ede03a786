#include "fuzz/linearizability.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace fuzz {
namespace {

Operation Put(int client, std::string key, std::string value, int64_t call,
              int64_t ret) {
  return {client, OpKind::kPut, std::move(key), std::move(value), call, ret};
}
Operation Get(int client, std::string key, std::string value, int64_t call,
              int64_t ret) {
  return {client, OpKind::kGet, std::move(key), std::move(value), call, ret};
}
Operation UnknownPut(int client, std::string key, std::string value,
                     int64_t call) {
  return {client, OpKind::kPut, std::move(key), std::move(value), call,
          0,      true};
}
Operation UnknownGet(int client, std::string key, int64_t call) {
  return {client, OpKind::kGet, std::move(key), "", call, 0, true};
}

struct Case {
  const char* name;
  std::vector<Operation> history;
  bool linearizable;
};

TEST(LinearizabilityTest, Table) {
  const Case cases[] = {
      {"empty", {}, true},
      {"read of nothing is empty", {Get(0, "k", "", 0, 1)}, true},
      {"read of a value never written", {Get(0, "k", "x", 0, 1)}, false},
      {"sequential put then get",
       {Put(0, "k", "1", 0, 1), Get(1, "k", "1", 2, 3)},
       true},
      {"stale read after a completed put",
       {Put(0, "k", "1", 0, 1), Get(1, "k", "", 2, 3)},
       false},
      {"stale read of an overwritten value",
       {Put(0, "k", "1", 0, 1), Put(0, "k", "2", 2, 3), Get(1, "k", "1", 4, 5)},
       false},
      {"concurrent read may see the old value",
       {Put(0, "k", "1", 0, 10), Get(1, "k", "", 2, 3)},
       true},
      {"concurrent read may see the new value",
       {Put(0, "k", "1", 0, 10), Get(1, "k", "1", 2, 3)},
       true},
      {"equal end and start times are concurrent",
       {Put(0, "k", "1", 0, 5), Get(1, "k", "", 5, 6)},
       true},
      {"reads must not go back in time (new then old)",
       {Put(0, "k", "1", 0, 10), Get(1, "k", "1", 1, 2), Get(2, "k", "", 3, 4)},
       false},
      {"two concurrent puts, reads agree on one order",
       {Put(0, "k", "1", 0, 10), Put(1, "k", "2", 0, 10),
        Get(2, "k", "2", 11, 12), Get(3, "k", "2", 13, 14)},
       true},
      {"two concurrent puts, reads disagree after both finished",
       {Put(0, "k", "1", 0, 10), Put(1, "k", "2", 0, 10),
        Get(2, "k", "2", 11, 12), Get(3, "k", "1", 13, 14)},
       false},
      {"overlapping reads seeing both orders is illegal",
       // 1 then 2 seen by c2 must exclude c3 seeing 2 then 1 afterwards.
       {Put(0, "k", "1", 0, 20), Put(1, "k", "2", 0, 20),
        Get(2, "k", "1", 1, 2), Get(2, "k", "2", 3, 4), Get(3, "k", "1", 5, 6)},
       false},
      {"unknown put may take effect late",
       {UnknownPut(0, "k", "1", 0), Get(1, "k", "", 5, 6),
        Get(1, "k", "1", 100, 101)},
       true},
      {"unknown put may never take effect",
       {UnknownPut(0, "k", "1", 0), Get(1, "k", "", 100, 101)},
       true},
      {"unknown put cannot take effect before its call",
       {Get(1, "k", "1", 0, 1), UnknownPut(0, "k", "1", 5)},
       false},
      {"unknown put takes effect at most once",
       {Put(2, "k", "0", 0, 1), UnknownPut(0, "k", "1", 2),
        Get(1, "k", "1", 3, 4), Put(2, "k", "2", 5, 6), Get(1, "k", "2", 7, 8),
        Get(1, "k", "1", 9, 10)},
       false},
      {"unknown get is ignored",
       {Put(0, "k", "1", 0, 1), UnknownGet(1, "k", 2)},
       true},
      {"keys are independent registers",
       {Put(0, "a", "1", 0, 1), Put(0, "b", "2", 2, 3), Get(1, "a", "1", 4, 5),
        Get(1, "b", "2", 4, 5)},
       true},
      {"violation on one key among several",
       {Put(0, "a", "1", 0, 1), Put(0, "b", "2", 2, 3), Get(1, "a", "1", 4, 5),
        Get(1, "b", "", 4, 5)},
       false},
      {"the same value written twice",
       {Put(0, "k", "1", 0, 1), Put(0, "k", "2", 2, 3), Put(1, "k", "1", 4, 5),
        Get(1, "k", "1", 6, 7)},
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LinearizabilityResult r = CheckLinearizable(c.history);
    EXPECT_EQ(r.verdict, c.linearizable ? LinearizabilityVerdict::kOk
                                        : LinearizabilityVerdict::kIllegal)
        << r.explanation;
    if (!c.linearizable) {
      EXPECT_FALSE(r.explanation.empty());
    }
  }
}

TEST(LinearizabilityTest, ExplanationNamesKeyAndOperations) {
  std::vector<Operation> h = {Put(0, "b", "7", 0, 1), Get(1, "b", "", 2, 3)};
  LinearizabilityResult r = CheckLinearizable(h);
  ASSERT_EQ(r.verdict, LinearizabilityVerdict::kIllegal);
  EXPECT_EQ(r.key, "b");
  EXPECT_NE(r.explanation.find("c0 put(b, 7) [0, 1]"), std::string::npos)
      << r.explanation;
  EXPECT_NE(r.explanation.find("c1 get(b) -> \"\" [2, 3]"), std::string::npos)
      << r.explanation;
}

TEST(LinearizabilityTest, BudgetExceededIsNeitherPassNorFail) {
  // Many fully concurrent puts and a read that matches none: the search must
  // try every order before it can say "illegal"; with a tiny budget it
  // gives up.
  std::vector<Operation> h;
  for (int i = 0; i < 20; ++i) {
    h.push_back(Put(i, "k", std::to_string(i), 0, 100));
  }
  h.push_back(Get(99, "k", "nope", 0, 100));
  LinearizabilityResult r = CheckLinearizable(h, /*max_steps=*/50);
  EXPECT_EQ(r.verdict, LinearizabilityVerdict::kBudgetExceeded);
}

TEST(LinearizabilityTest, HintWitnessAvoidsTheSearch) {
  // 30 fully concurrent puts and a read of the last: exponential for the
  // search, but the hints give a linearization that is checked directly.
  std::vector<Operation> h;
  for (int i = 0; i < 30; ++i) {
    h.push_back(Put(i, "k", std::to_string(i), 0, 100));
    h.back().hint = 2 * (i + 1);
  }
  h.push_back(Get(99, "k", "29", 0, 100));
  h.back().hint = 61;
  EXPECT_EQ(CheckLinearizable(h, /*max_steps=*/100).verdict,
            LinearizabilityVerdict::kOk);
  // A witness that breaks real time is not taken: the read returned before
  // the put it claims to follow was invoked.
  std::vector<Operation> g = {Put(0, "k", "1", 10, 11), Get(1, "k", "1", 0, 1)};
  g[0].hint = 2;
  g[1].hint = 3;
  EXPECT_EQ(CheckLinearizable(g).verdict, LinearizabilityVerdict::kIllegal);
}

// Random histories produced by a real sequential execution with random
// overlapping intervals around each linearization point are linearizable;
// corrupting one completed read's value (to a value never written at any
// time) makes them illegal. Replay with LIN_SEED=<seed>.
TEST(LinearizabilityTest, RandomizedAgainstKnownLinearization) {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("LIN_SEED")) seed = std::stoull(s);
  std::cout << "LIN_SEED=" << seed << std::endl;
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 300; ++iter) {
    SCOPED_TRACE("LIN_SEED=" + std::to_string(seed) +
                 " iter=" + std::to_string(iter));
    std::vector<Operation> h;
    std::string value[3];
    const int n = 5 + static_cast<int>(rng() % 25);
    int64_t t = 0;
    for (int i = 0; i < n; ++i) {
      t += 2;  // The linearization point of op i is t.
      std::string key(1, static_cast<char>('a' + rng() % 3));
      int64_t call = t - static_cast<int64_t>(rng() % 6);
      int64_t ret = t + static_cast<int64_t>(rng() % 6);
      if (rng() % 2 == 0) {
        value[key[0] - 'a'] = "v" + std::to_string(i);
        bool unknown = rng() % 8 == 0;
        h.push_back({i % 4, OpKind::kPut, key, value[key[0] - 'a'], call, ret,
                     unknown});
      } else {
        h.push_back({i % 4, OpKind::kGet, key, value[key[0] - 'a'], call, ret});
      }
    }
    // Hints (right, or random) change only the search order.
    if (iter % 3 == 1) {
      for (size_t i = 0; i < h.size(); ++i) h[i].hint = i + 1;
    } else if (iter % 3 == 2) {
      for (Operation& op : h) op.hint = rng() % 50;
    }
    LinearizabilityResult r = CheckLinearizable(h);
    ASSERT_EQ(r.verdict, LinearizabilityVerdict::kOk) << r.explanation;
    for (Operation& op : h) {
      if (op.kind == OpKind::kGet) {
        op.value = "never-written";
        EXPECT_EQ(CheckLinearizable(h).verdict,
                  LinearizabilityVerdict::kIllegal);
        break;
      }
    }
  }
}

}  // namespace
}  // namespace fuzz
