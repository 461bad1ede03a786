#pragma once

// Revision: the position of one change in the store's history, as etcd's
// mvcc revision {main, sub}. `main` is the store revision of the write
// request (every clients sees it as mod_revision); `sub` orders the changes
// made by that one request (a txn or a range delete changes many keys at the
// same main revision).

#include <compare>
#include <cstdint>

namespace kvstore {

struct Revision {
  int64_t main = 0;
  int64_t sub = 0;

  friend auto operator<=>(const Revision&, const Revision&) = default;
  friend bool operator==(const Revision&, const Revision&) = default;
};

}  // namespace kvstore
