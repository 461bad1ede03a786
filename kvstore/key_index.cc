#include "kvstore/key_index.h"

#include <algorithm>

#include "base/check.h"

namespace kvstore {

std::optional<Revision> KeyHistory::VisibleAt(int64_t at) const {
  // First change with rev.main > at; the one before it is visible.
  auto it = std::upper_bound(
      changes.begin(), changes.end(), at,
      [](int64_t a, const Change& c) { return a < c.rev.main; });
  if (it == changes.begin()) return std::nullopt;
  --it;
  if (it->tombstone) return std::nullopt;
  return it->rev;
}

std::optional<Revision> KeyHistory::PrevOf(Revision rev) const {
  auto it = std::lower_bound(
      changes.begin(), changes.end(), rev,
      [](const Change& c, const Revision& r) { return c.rev < r; });
  if (it == changes.begin()) return std::nullopt;
  --it;
  if (it->tombstone) return std::nullopt;
  return it->rev;
}

bool KeyRange::Contains(std::string_view k) const {
  if (single()) return k == key;
  if (k < std::string_view(key)) return false;
  if (end == std::string_view("\0", 1)) return true;
  return k < std::string_view(end);
}

bool KeyRange::empty() const {
  if (single() || end == std::string_view("\0", 1)) return false;
  return end <= key;
}

KeyHistory& KeyIndex::Mutable(std::string_view key) {
  auto h = hash_.find(key);
  if (h != hash_.end()) return h->second->history;
  auto owned = std::make_unique<Entry>(Entry{std::string(key), {}});
  Entry* e = owned.get();
  map_.emplace(e->key, std::move(owned));
  hash_.emplace(std::string_view(e->key), e);
  return e->history;
}

void KeyIndex::RecordPut(KeyHistory& h, Revision rev, int64_t create_revision,
                         int64_t version, int64_t lease) {
  CAIRN_DCHECK(h.changes.empty() || h.changes.back().rev < rev);
  h.changes.push_back(Change{rev, false});
  h.create_revision = create_revision;
  h.version = version;
  h.lease = lease;
}

void KeyIndex::RecordTombstone(KeyHistory& h, Revision rev) {
  CAIRN_DCHECK(h.changes.empty() || h.changes.back().rev < rev);
  h.changes.push_back(Change{rev, true});
  h.create_revision = 0;
  h.version = 0;
  h.lease = 0;
}

void KeyIndex::Put(std::string_view key, Revision rev, int64_t create_revision,
                   int64_t version, int64_t lease) {
  RecordPut(Mutable(key), rev, create_revision, version, lease);
}

void KeyIndex::Tombstone(std::string_view key, Revision rev) {
  RecordTombstone(Mutable(key), rev);
}

const KeyHistory* KeyIndex::Find(std::string_view key) const {
  auto it = hash_.find(key);
  return it == hash_.end() ? nullptr : &it->second->history;
}

void KeyIndex::ForEach(const KeyRange& range, bool reverse,
                       const std::function<bool(const std::string&,
                                                const KeyHistory&)>& fn) const {
  if (range.single()) {
    auto it = map_.find(range.key);
    if (it != map_.end()) fn(it->first, it->second->history);
    return;
  }
  if (range.empty()) return;
  auto first = map_.lower_bound(range.key);
  auto last = range.end == std::string_view("\0", 1)
                  ? map_.end()
                  : map_.lower_bound(range.end);
  if (!reverse) {
    for (auto it = first; it != last; ++it) {
      if (!fn(it->first, it->second->history)) return;
    }
    return;
  }
  for (auto it = last; it != first;) {
    --it;
    if (!fn(it->first, it->second->history)) return;
  }
}

void KeyIndex::Compact(int64_t at,
                       const std::function<void(Revision)>& removed) {
  for (auto it = map_.begin(); it != map_.end();) {
    std::vector<Change>& c = it->second->history.changes;
    // keep = index of the newest change with rev.main <= at.
    auto upper = std::upper_bound(
        c.begin(), c.end(), at,
        [](int64_t a, const Change& ch) { return a < ch.rev.main; });
    if (upper == c.begin()) {
      ++it;
      continue;
    }
    auto keep = upper - 1;
    auto drop_end = keep->tombstone ? upper : keep;
    for (auto d = c.begin(); d != drop_end; ++d) removed(d->rev);
    c.erase(c.begin(), drop_end);
    if (c.empty()) {
      hash_.erase(std::string_view(it->second->key));
      it = map_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace kvstore
