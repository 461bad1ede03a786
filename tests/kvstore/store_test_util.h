#pragma once

// Helpers for kvstore tests: a temporary directory, request builders and a
// store wrapper that applies requests with increasing indexes.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "cairnpb/internal.pb.h"
#include "kvstore/store.h"

namespace kvstore::testing {

// A fresh directory, removed with its content at the end of the scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path() / "kvXXXXXX";
    CAIRN_CHECK(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A manual clock for leases.
struct FakeClock {
  int64_t now_ms = 1'000'000;
};

inline cairnpb::InternalRequest PutReq(const std::string& k,
                                       const std::string& v,
                                       int64_t lease = 0) {
  cairnpb::InternalRequest r;
  r.mutable_put()->set_key(k);
  r.mutable_put()->set_value(v);
  r.mutable_put()->set_lease(lease);
  return r;
}

inline cairnpb::InternalRequest DelReq(const std::string& k,
                                       const std::string& end = "",
                                       bool prev_kv = false) {
  cairnpb::InternalRequest r;
  r.mutable_delete_range()->set_key(k);
  r.mutable_delete_range()->set_range_end(end);
  r.mutable_delete_range()->set_prev_kv(prev_kv);
  return r;
}

inline cairnpb::InternalRequest CompactReq(int64_t rev) {
  cairnpb::InternalRequest r;
  r.mutable_compaction()->set_revision(rev);
  return r;
}

inline cairnpb::InternalRequest GrantReq(int64_t id, int64_t ttl) {
  cairnpb::InternalRequest r;
  r.mutable_lease_grant()->set_id(id);
  r.mutable_lease_grant()->set_ttl(ttl);
  return r;
}

inline cairnpb::InternalRequest RevokeReq(int64_t id) {
  cairnpb::InternalRequest r;
  r.mutable_lease_revoke()->set_id(id);
  return r;
}

inline etcdserverpb::RangeRequest RangeOf(const std::string& k,
                                          const std::string& end = "",
                                          int64_t rev = 0) {
  etcdserverpb::RangeRequest r;
  r.set_key(k);
  r.set_range_end(end);
  r.set_revision(rev);
  return r;
}

// A store in a temp dir, applying each request at the next index.
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  Options MakeOptions() {
    Options o;
    o.clock = [c = &clock_] { return c->now_ms; };
    o.max_txn_ops = max_txn_ops_;
    return o;
  }
  void Reopen() {
    store_.reset();
    auto s = Store::Open(dir_.File("db"), MakeOptions());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
    index_ = store_->ConsistentIndex();
  }
  // Replaces the store with a new, empty one.
  void Fresh() {
    store_.reset();
    for (const char* f : {"db", "db-wal", "db-shm"}) {
      std::filesystem::remove(dir_.File(f));
    }
    Reopen();
  }
  // Applies `r` at the next index; returns the request's outcome.
  ApplyResult Apply(const cairnpb::InternalRequest& r) {
    auto res = store_->Apply(++index_, r);
    CAIRN_CHECK(res.ok(), "store failure: %s", res.status().ToString().c_str());
    return std::move(res).value();
  }
  base::Status Put(const std::string& k, const std::string& v,
                   int64_t lease = 0) {
    return Apply(PutReq(k, v, lease)).status;
  }
  etcdserverpb::RangeResponse Get(const etcdserverpb::RangeRequest& r) {
    auto res = store_->Range(r);
    CAIRN_CHECK(res.ok(), "range failed: %s", res.status().ToString().c_str());
    return std::move(res).value();
  }

  TempDir dir_;
  FakeClock clock_;
  int max_txn_ops_ = 128;
  std::unique_ptr<Store> store_;
  uint64_t index_ = 0;
};

}  // namespace kvstore::testing
