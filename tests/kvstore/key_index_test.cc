// KeyIndex: visibility at a revision, previous states, compaction (after
// etcd's key_index_test.go).

#include "kvstore/key_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace kvstore {
namespace {

// History of "k": put@2, put@4, delete@6, put@8.
KeyIndex MakeIndex() {
  KeyIndex idx;
  idx.Put("k", {2, 0}, 2, 1, 0);
  idx.Put("k", {4, 0}, 2, 2, 0);
  idx.Tombstone("k", {6, 0});
  idx.Put("k", {8, 1}, 8, 1, 0);
  return idx;
}

TEST(KeyIndexTest, VisibleAt) {
  KeyIndex idx = MakeIndex();
  const KeyHistory* h = idx.Find("k");
  ASSERT_NE(h, nullptr);
  struct Case {
    int64_t at;
    std::optional<Revision> want;
  } cases[] = {
      {1, std::nullopt},   {2, Revision{2, 0}}, {3, Revision{2, 0}},
      {4, Revision{4, 0}}, {5, Revision{4, 0}}, {6, std::nullopt},
      {7, std::nullopt},   {8, Revision{8, 1}}, {100, Revision{8, 1}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.at);
    EXPECT_EQ(h->VisibleAt(c.at), c.want);
  }
}

TEST(KeyIndexTest, PrevOf) {
  KeyIndex idx = MakeIndex();
  const KeyHistory* h = idx.Find("k");
  EXPECT_EQ(h->PrevOf({2, 0}), std::nullopt);
  EXPECT_EQ(h->PrevOf({4, 0}), (Revision{2, 0}));
  EXPECT_EQ(h->PrevOf({6, 0}), (Revision{4, 0}));
  EXPECT_EQ(h->PrevOf({8, 1}), std::nullopt);  // after a tombstone
}

TEST(KeyIndexTest, Compact) {
  struct Case {
    int64_t at;
    std::vector<int64_t> removed;  // mains of dropped changes
    std::vector<int64_t> kept;
  } cases[] = {
      {1, {}, {2, 4, 6, 8}},
      {2, {}, {2, 4, 6, 8}},
      {3, {}, {2, 4, 6, 8}},
      {4, {2}, {4, 6, 8}},
      {6, {2, 4, 6}, {8}},  // the tombstone at 6 goes
                            // too
      {7, {2, 4, 6}, {8}},
      {8, {2, 4, 6}, {8}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.at);
    KeyIndex idx = MakeIndex();
    std::vector<int64_t> removed;
    idx.Compact(c.at, [&](Revision r) { removed.push_back(r.main); });
    std::sort(removed.begin(), removed.end());
    EXPECT_EQ(removed, c.removed);
    std::vector<int64_t> kept;
    for (const Change& ch : idx.Find("k")->changes) kept.push_back(ch.rev.main);
    EXPECT_EQ(kept, c.kept);
  }
}

TEST(KeyIndexTest, CompactDropsDeletedKeys) {
  KeyIndex idx;
  idx.Put("a", {2, 0}, 2, 1, 0);
  idx.Tombstone("a", {3, 0});
  idx.Put("b", {4, 0}, 4, 1, 0);
  int removed = 0;
  idx.Compact(3, [&](Revision) { ++removed; });
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(idx.Find("a"), nullptr);
  EXPECT_NE(idx.Find("b"), nullptr);
}

TEST(KeyRangeTest, Conventions) {
  const std::string nul("\0", 1);
  struct Case {
    KeyRange r;
    std::string k;
    bool in;
  } cases[] = {
      {{"a", ""}, "a", true},   {{"a", ""}, "ab", false},
      {{"a", "c"}, "b", true},  {{"a", "c"}, "c", false},
      {{"a", "c"}, "a", true},  {{"b", nul}, "zzz", true},
      {{"b", nul}, "a", false}, {{nul, nul}, "a", true},
      {{"c", "a"}, "b", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.r.key + ".." + c.r.end + " " + c.k);
    EXPECT_EQ(c.r.Contains(c.k), c.in);
  }
  EXPECT_TRUE((KeyRange{"c", "a"}).empty());
  EXPECT_FALSE((KeyRange{"c", nul}).empty());
}

TEST(KeyIndexTest, ForEachOrder) {
  KeyIndex idx;
  for (const char* k : {"b", "a", "d", "c"}) idx.Put(k, {2, 0}, 2, 1, 0);
  std::vector<std::string> fwd, rev;
  idx.ForEach({"b", std::string("\0", 1)}, false, [&](const auto& k, auto&) {
    fwd.push_back(k);
    return true;
  });
  idx.ForEach({"a", "d"}, true, [&](const auto& k, auto&) {
    rev.push_back(k);
    return true;
  });
  EXPECT_EQ(fwd, (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(rev, (std::vector<std::string>{"c", "b", "a"}));
}

}  // namespace
}  // namespace kvstore
