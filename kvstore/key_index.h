#pragma once

// KeyIndex: the in-memory map from each key to the revisions of its changes,
// like etcd's treeIndex/keyIndex. The rows themselves (values, versions) are
// in SQLite (backend.h), keyed by revision; the index says which row a read
// at revision R must fetch, and lets counts, compares and writes run without
// touching SQLite at all. It is rebuilt from the kv table on open.
//
// A key's history is the list of its changes not yet compacted, oldest
// first; each is a PUT or a tombstone. A tombstone ends a generation; the
// next PUT starts a new one (version 1, new create_revision).
//
// Thread safety: none; owned by the Store.

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/revision.h"

namespace kvstore {

struct Change {
  Revision rev;
  bool tombstone = false;
};

struct KeyHistory {
  // Every change of the key not yet compacted, oldest first.
  // Invariant: non-empty; revisions strictly increase.
  std::vector<Change> changes;
  // State of the newest change when it is a PUT (else all 0).
  int64_t create_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;

  bool live() const { return !changes.back().tombstone; }
  // The newest change with rev.main <= at, unless it is a tombstone (or
  // there is none): the row a read at `at` sees.
  std::optional<Revision> VisibleAt(int64_t at) const;
  // The newest change strictly before `rev`, unless it is a tombstone: the
  // previous state of the key as seen by an event at `rev`.
  std::optional<Revision> PrevOf(Revision rev) const;
};

// A key range with etcd's conventions (etcd-v3-api.md 4.2): `end` empty =
// just `key`; `end` == "\0" = every key >= `key`; else [key, end).
struct KeyRange {
  std::string key;
  std::string end;

  bool single() const { return end.empty(); }
  bool Contains(std::string_view k) const;
  // True when the range selects nothing whatever is stored (end <= key).
  bool empty() const;
};

class KeyIndex {
 public:
  KeyIndex() = default;
  // Movable (the histories are on the heap, so hash_'s views and pointers
  // stay valid), not copyable (a copy's hash_ would point into the
  // original).
  KeyIndex(KeyIndex&&) = default;
  KeyIndex& operator=(KeyIndex&&) = default;
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // Records a PUT of `key` at `rev` with the given new state.
  // REQUIRES: rev is greater than every revision recorded for `key`.
  void Put(std::string_view key, Revision rev, int64_t create_revision,
           int64_t version, int64_t lease);
  // Records a tombstone of `key` at `rev`. REQUIRES: as Put().
  void Tombstone(std::string_view key, Revision rev);

  // The history of `key`, or nullptr.
  const KeyHistory* Find(std::string_view key) const;
  // The history of `key` for recording a change, created if absent (one
  // lookup for a read-modify-write). A created history has no changes: the
  // caller must record one with RecordPut() or RecordTombstone() before any
  // other call.
  KeyHistory& Mutable(std::string_view key);
  static void RecordPut(KeyHistory& h, Revision rev, int64_t create_revision,
                        int64_t version, int64_t lease);
  static void RecordTombstone(KeyHistory& h, Revision rev);

  // Calls fn(key, history) for each key in `range` with any history, in
  // ascending key order (descending when `reverse`), until fn returns false.
  void ForEach(const KeyRange& range, bool reverse,
               const std::function<bool(const std::string&, const KeyHistory&)>&
                   fn) const;

  // Compaction at revision `at`: for each key, drops every change older than
  // the newest one with rev.main <= at, and that one too if it is a
  // tombstone; drops keys left without history. Calls removed(rev) for each
  // dropped change, in no particular order.
  void Compact(int64_t at, const std::function<void(Revision)>& removed);

  size_t size() const { return map_.size(); }
  void Clear() {
    hash_.clear();
    map_.clear();
  }

 private:
  // A key's history on the heap, where it never moves, with its own copy of
  // the key for hash_ to view.
  struct Entry {
    std::string key;
    KeyHistory history;
  };

  // An ordered B-tree for ranges (its nodes hold the short keys inline, so
  // a lookup costs a few cache misses where a 1M-key red-black tree costs
  // ~20), plus an open-addressing hash over the same entries for the point
  // lookups of the write path, which looks up every key it writes.
  // Invariant: same key sets; hash_'s keys view their Entry's key.
  absl::btree_map<std::string, std::unique_ptr<Entry>> map_;
  absl::flat_hash_map<std::string_view, Entry*> hash_;
};

}  // namespace kvstore
