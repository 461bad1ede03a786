// Differential test: random puts, deletes, txns, compactions, leases and
// ranges at random revisions, run against the store and against the naive
// model (store_model.h); every response, every error and the watch history
// must match. Prints its seed; replay with CAIRN_SEED=<seed>.

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tests/kvstore/store_model.h"
#include "tests/kvstore/store_test_util.h"

namespace kvstore::testing {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RangeRequest;

uint64_t SeedFromEnv() {
  if (const char* s = std::getenv("CAIRN_SEED")) return std::stoull(s);
  return std::random_device()();
}

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  int Int(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool OneIn(int n) { return Int(1, n) == 1; }

  std::string Key() {
    static const std::string kKeys[] = {
        "a", "b", "ba", "bb", "c", std::string("c\0d", 3), "d", "e", "\xff"};
    if (OneIn(60)) return "";  // exercises "key is not provided"
    return kKeys[Int(0, 8)];
  }
  // (key, range_end): single, range, prefix, from-key or everything.
  std::pair<std::string, std::string> Range() {
    const std::string nul("\0", 1);
    switch (Int(0, 4)) {
      case 0:
        return {Key(), ""};
      case 1: {
        std::string a = Key(), b = Key();
        return {a, b};
      }
      case 2:
        return {"b", "c"};
      case 3:
        return {Key(), nul};
      default:
        return {nul, nul};
    }
  }
  std::string Value() {
    return std::string(1, static_cast<char>('0' + Int(0, 4)));
  }

  etcdserverpb::PutRequest Put(bool in_txn) {
    etcdserverpb::PutRequest p;
    p.set_key(Key());
    p.set_value(Value());
    if (OneIn(4)) p.set_lease(Int(1, 3));
    p.set_prev_kv(OneIn(2));
    if (!in_txn && OneIn(8)) {
      p.set_ignore_value(true);
      if (!OneIn(5)) p.clear_value();
    }
    if (!in_txn && OneIn(8)) {
      p.set_ignore_lease(true);
      if (!OneIn(5)) p.set_lease(0);
    }
    return p;
  }
  etcdserverpb::DeleteRangeRequest Delete() {
    etcdserverpb::DeleteRangeRequest d;
    auto [k, e] = Range();
    d.set_key(k);
    d.set_range_end(e);
    d.set_prev_kv(OneIn(2));
    return d;
  }
  RangeRequest Read(int64_t rev, int64_t compact) {
    RangeRequest r;
    auto [k, e] = Range();
    r.set_key(k);
    r.set_range_end(e);
    if (OneIn(2))
      r.set_revision(
          Int(static_cast<int>(compact) - 1, static_cast<int>(rev) + 1));
    if (OneIn(3)) r.set_limit(Int(1, 4));
    if (OneIn(3))
      r.set_sort_order(static_cast<RangeRequest::SortOrder>(Int(0, 2)));
    if (OneIn(3)) {
      r.set_sort_target(static_cast<RangeRequest::SortTarget>(Int(0, 4)));
    }
    if (OneIn(5)) r.set_keys_only(true);
    if (OneIn(8)) r.set_count_only(true);
    if (OneIn(6)) r.set_min_mod_revision(Int(0, static_cast<int>(rev)));
    if (OneIn(6)) r.set_max_mod_revision(Int(0, static_cast<int>(rev)));
    if (OneIn(6)) r.set_min_create_revision(Int(0, static_cast<int>(rev)));
    if (OneIn(6)) r.set_max_create_revision(Int(0, static_cast<int>(rev)));
    return r;
  }
  Compare Cmp(int64_t rev) {
    Compare c;
    c.set_key(Key());
    if (OneIn(4)) c.set_range_end(Range().second);
    c.set_result(static_cast<Compare::CompareResult>(Int(0, 3)));
    c.set_target(static_cast<Compare::CompareTarget>(Int(0, 4)));
    switch (Int(0, 5)) {
      case 0:
        c.set_version(Int(0, 3));
        break;
      case 1:
        c.set_create_revision(Int(0, static_cast<int>(rev)));
        break;
      case 2:
        c.set_mod_revision(Int(0, static_cast<int>(rev)));
        break;
      case 3:
        c.set_value(Value());
        break;
      case 4:
        c.set_lease(Int(0, 3));
        break;
      default:
        break;  // unset operand
    }
    return c;
  }
  etcdserverpb::RequestOp Op(int64_t rev, int64_t compact) {
    etcdserverpb::RequestOp op;
    switch (Int(0, 2)) {
      case 0:
        *op.mutable_request_put() = Put(true);
        break;
      case 1:
        *op.mutable_request_delete_range() = Delete();
        break;
      default:
        *op.mutable_request_range() = Read(rev, compact);
        break;
    }
    return op;
  }

  cairnpb::InternalRequest Request(int64_t rev, int64_t compact) {
    cairnpb::InternalRequest r;
    int kind = Int(0, 99);
    if (kind < 35) {
      *r.mutable_put() = Put(false);
    } else if (kind < 50) {
      *r.mutable_delete_range() = Delete();
    } else if (kind < 75) {
      auto* t = r.mutable_txn();
      for (int i = Int(0, 2); i > 0; --i) *t->add_compare() = Cmp(rev);
      for (int i = Int(0, 3); i > 0; --i) *t->add_success() = Op(rev, compact);
      for (int i = Int(0, 2); i > 0; --i) *t->add_failure() = Op(rev, compact);
    } else if (kind < 80) {
      r.mutable_compaction()->set_revision(
          Int(static_cast<int>(compact), static_cast<int>(rev) + 1));
    } else if (kind < 86) {
      r.mutable_lease_grant()->set_id(Int(1, 3));
      r.mutable_lease_grant()->set_ttl(Int(0, 10));
    } else if (kind < 90) {
      r.mutable_lease_revoke()->set_id(Int(1, 3));
    } else {
      *r.mutable_range() = Read(rev, compact);
    }
    return r;
  }

 private:
  std::mt19937_64 rng_;
};

std::string Show(const google::protobuf::Message& m) {
  std::string s = m.ShortDebugString();
  return s.size() > 2000 ? s.substr(0, 2000) + "..." : s;
}

// Events of revisions [start, model.rev()] on (key, end), from the model's
// states, sorted by (revision, key).
std::vector<std::string> ModelEvents(const Model& m, const std::string& key,
                                     const std::string& end, int64_t start) {
  std::vector<std::string> out;
  for (int64_t r = std::max<int64_t>(start, 2); r <= m.rev(); ++r) {
    const ModelState& before = m.At(r - 1);
    const ModelState& after = m.At(r);
    std::set<std::string> keys;
    for (const auto& [k, v] : before) keys.insert(k);
    for (const auto& [k, v] : after) keys.insert(k);
    for (const std::string& k : keys) {
      if (!ModelInRange(key, end, k)) continue;
      auto a = after.find(k);
      auto b = before.find(k);
      mvccpb::Event e;
      if (a != after.end() && a->second.mod == r) {
        e.set_type(mvccpb::Event::PUT);
        *e.mutable_kv() = ToKv(k, a->second);
      } else if (a == after.end() && b != before.end()) {
        e.set_type(mvccpb::Event::DELETE);
        e.mutable_kv()->set_key(k);
        e.mutable_kv()->set_mod_revision(r);
      } else {
        continue;
      }
      if (b != before.end()) *e.mutable_prev_kv() = ToKv(k, b->second);
      out.push_back(Show(e));
    }
  }
  return out;
}

std::vector<std::string> StoreEvents(std::vector<mvccpb::Event> evs) {
  std::stable_sort(evs.begin(), evs.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.kv().mod_revision(), a.kv().key()) <
           std::make_pair(b.kv().mod_revision(), b.kv().key());
  });
  std::vector<std::string> out;
  for (const auto& e : evs) out.push_back(Show(e));
  return out;
}

class StoreDiffTest : public StoreFixture {};

TEST_F(StoreDiffTest, RandomOpsMatchModel) {
  const uint64_t seed = SeedFromEnv();
  std::printf("StoreDiffTest seed %llu (replay: CAIRN_SEED=%llu)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));
  Gen gen(seed);
  Model model;
  const int kOps = 1500;
  bool in_batch = false;
  for (int i = 0; i < kOps; ++i) {
    cairnpb::InternalRequest req = gen.Request(model.rev(), model.compact());
    SCOPED_TRACE("op " + std::to_string(i) + ": " + Show(req));
    // Batches of a few entries, like the server's.
    if (!in_batch && gen.OneIn(4)) {
      ASSERT_TRUE(store_->BeginBatch().ok());
      in_batch = true;
    }
    cairnpb::InternalResponse want;
    base::Status want_status = model.Apply(req, &want);
    ApplyResult got = Apply(req);
    ASSERT_EQ(got.status, want_status);
    if (want_status.ok()) {
      ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
          got.response, want))
          << "store: " << Show(got.response) << "\nmodel: " << Show(want);
    }
    if (in_batch && gen.OneIn(3)) {
      ASSERT_TRUE(store_->CommitBatch().ok());
      in_batch = false;
    }
    ASSERT_EQ(store_->CurrentRevision(), model.rev());
    if (gen.OneIn(10)) {
      // Watch history from a random uncompacted start.
      auto [k, e] = gen.Range();
      if (k.empty()) k = "a";
      int64_t start = gen.Int(static_cast<int>(model.compact()) + 1,
                              static_cast<int>(model.rev()) + 1);
      auto page = store_->Events(KeyRange{k, e}, start, true, 1 << 20);
      ASSERT_TRUE(page.ok()) << page.status();
      ASSERT_EQ(StoreEvents(page->events), ModelEvents(model, k, e, start));
      if (model.compact() > 1) {
        ASSERT_EQ(store_->Events(KeyRange{k, e}, model.compact() - 1, false, 1)
                      .status(),
                  ErrCompacted());
      }
    }
    if (gen.OneIn(200)) {
      if (in_batch) {
        ASSERT_TRUE(store_->CommitBatch().ok());
      }
      in_batch = false;
      Reopen();  // the state must survive a restart
    }
  }
  if (in_batch) {
    ASSERT_TRUE(store_->CommitBatch().ok());
  }
  // Finally: every uncompacted revision reads the same after a restart.
  Reopen();
  const std::string nul("\0", 1);
  for (int64_t r = std::max<int64_t>(model.compact(), 1); r <= model.rev();
       ++r) {
    SCOPED_TRACE("final read at " + std::to_string(r));
    etcdserverpb::RangeRequest all = RangeOf(nul, nul, r);
    etcdserverpb::RangeResponse want;
    ASSERT_TRUE(model.ReadRange(all, &want).ok());
    ASSERT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(Get(all), want));
  }
}

}  // namespace
}  // namespace kvstore::testing
