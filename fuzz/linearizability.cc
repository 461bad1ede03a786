#include "fuzz/linearizability.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace fuzz {
namespace {

constexpr int64_t kInfinity = std::numeric_limits<int64_t>::max();

// One register's sub-history with values interned: value id 0 is "".
struct KeyHistory {
  std::vector<const Operation*> ops;
  std::vector<int> value_ids;  // Per op: the value put, or the value read.
};

// One end of an operation in the time-ordered doubly linked list.
struct ListEntry {
  bool is_call = false;
  int op = 0;
  int64_t time = 0;
  int match = -1;  // For a call: the index of its return entry.
  int prev = -1;
  int next = -1;
};

struct Bitset {
  std::vector<uint64_t> words;
  void Set(int i) { words[i / 64] |= uint64_t{1} << (i % 64); }
  void Clear(int i) { words[i / 64] &= ~(uint64_t{1} << (i % 64)); }
};

struct Config {
  Bitset linearized;
  int state = 0;
  bool operator==(const Config& o) const {
    return state == o.state && linearized.words == o.linearized.words;
  }
};

struct ConfigHash {
  size_t operator()(const Config& c) const {
    uint64_t h = 1469598103934665603ULL ^ static_cast<uint64_t>(c.state);
    for (uint64_t w : c.linearized.words) {
      h ^= w + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return static_cast<size_t>(h);
  }
};

// The sequential model of one register: a Put always succeeds and sets the
// value; a Get succeeds only if it returns the current value.
bool Step(const KeyHistory& kh, int op, int state, int* next_state) {
  if (kh.ops[op]->kind == OpKind::kPut) {
    *next_state = kh.value_ids[op];
    return true;
  }
  *next_state = state;
  return kh.value_ids[op] == state;
}

std::vector<ListEntry> BuildList(const KeyHistory& kh) {
  const int n = static_cast<int>(kh.ops.size());
  std::vector<ListEntry> entries;
  entries.reserve(2 * n);
  for (int i = 0; i < n; ++i) {
    const Operation& op = *kh.ops[i];
    entries.push_back({true, i, op.call});
    entries.push_back({false, i, op.unknown ? kInfinity : op.ret});
  }
  // Time order; at equal times calls first (equal times are concurrent).
  std::stable_sort(entries.begin(), entries.end(),
                   [](const ListEntry& a, const ListEntry& b) {
                     if (a.time != b.time) return a.time < b.time;
                     return a.is_call && !b.is_call;
                   });
  // Within a run of consecutive calls any order is the same set of
  // candidates; try the hinted order first (no hint = last).
  auto hint = [&kh](const ListEntry& e) {
    const uint64_t h = kh.ops[e.op]->hint;
    return h == 0 ? UINT64_MAX : h;
  };
  for (size_t i = 0; i < entries.size();) {
    size_t j = i;
    while (j < entries.size() && entries[j].is_call) ++j;
    std::stable_sort(entries.begin() + static_cast<ptrdiff_t>(i),
                     entries.begin() + static_cast<ptrdiff_t>(j),
                     [&hint](const ListEntry& a, const ListEntry& b) {
                       return hint(a) < hint(b);
                     });
    i = j == i ? i + 1 : j;
  }
  std::vector<int> call_pos(n, -1);
  for (int i = 0; i < 2 * n; ++i) {
    if (entries[i].is_call) call_pos[entries[i].op] = i;
  }
  for (int i = 0; i < 2 * n; ++i) {
    if (!entries[i].is_call) entries[call_pos[entries[i].op]].match = i;
  }
  // Sentinel head at index 2n.
  entries.push_back({});
  const int head = 2 * n;
  for (int i = 0; i < 2 * n; ++i) {
    entries[i].prev = i == 0 ? head : i - 1;
    entries[i].next = i + 1 < 2 * n ? i + 1 : -1;
  }
  entries[head].next = n > 0 ? 0 : -1;
  return entries;
}

void Unlink(std::vector<ListEntry>& l, int i) {
  l[l[i].prev].next = l[i].next;
  if (l[i].next >= 0) l[l[i].next].prev = l[i].prev;
}

void Relink(std::vector<ListEntry>& l, int i) {
  l[l[i].prev].next = i;
  if (l[i].next >= 0) l[l[i].next].prev = i;
}

// Lift a call and its return out of the list (the call is linearized), and
// put them back on back-tracking, in reverse order.
void Lift(std::vector<ListEntry>& l, int call) {
  Unlink(l, call);
  Unlink(l, l[call].match);
}

void Unlift(std::vector<ListEntry>& l, int call) {
  Relink(l, l[call].match);
  Relink(l, call);
}

struct KeyVerdict {
  LinearizabilityVerdict verdict = LinearizabilityVerdict::kOk;
  int longest_prefix = 0;  // Most operations linearized at once.
};

uint64_t Mix(uint64_t x) {  // SplitMix64's finalizer.
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The search. With exact == false, configurations are remembered by a 64-
// bit Zobrist hash (XOR of a random key per linearized operation, mixed
// with the state), which costs O(1) per step; a collision could only make
// the search skip a configuration and so wrongly report kIllegal, which
// the caller then confirms with exact == true.
KeyVerdict CheckKey(const KeyHistory& kh, bool exact, uint64_t* steps,
                    uint64_t max_steps) {
  const int n = static_cast<int>(kh.ops.size());
  std::vector<ListEntry> l = BuildList(kh);
  const int head = 2 * n;
  Config cur;
  cur.linearized.words.assign((n + 63) / 64, 0);
  uint64_t zobrist = 0;
  std::unordered_set<Config, ConfigHash> cache;
  std::unordered_set<uint64_t> fast_cache;
  std::vector<std::pair<int, int>> stack;  // (call entry, state before it)
  KeyVerdict v;
  int entry = l[head].next;
  while (l[head].next >= 0) {
    if (++*steps > max_steps) {
      v.verdict = LinearizabilityVerdict::kBudgetExceeded;
      return v;
    }
    if (entry >= 0 && l[entry].is_call) {
      const int op = l[entry].op;
      int next_state = 0;
      if (Step(kh, op, cur.state, &next_state)) {
        bool fresh = false;
        const uint64_t next_zobrist = zobrist ^ Mix(static_cast<uint64_t>(op));
        if (exact) {
          Config cand = cur;
          cand.linearized.Set(op);
          cand.state = next_state;
          fresh = cache.insert(std::move(cand)).second;
        } else {
          fresh = fast_cache
                      .insert(next_zobrist ^
                              Mix(~static_cast<uint64_t>(next_state)))
                      .second;
        }
        if (fresh) {
          stack.emplace_back(entry, cur.state);
          cur.linearized.Set(op);
          cur.state = next_state;
          zobrist = next_zobrist;
          v.longest_prefix =
              std::max(v.longest_prefix, static_cast<int>(stack.size()));
          Lift(l, entry);
          entry = l[head].next;
          continue;
        }
      }
      entry = l[entry].next;
      continue;
    }
    // A return whose call is not linearized yet: back-track.
    if (stack.empty()) {
      v.verdict = LinearizabilityVerdict::kIllegal;
      return v;
    }
    auto [call, state] = stack.back();
    stack.pop_back();
    cur.state = state;
    cur.linearized.Clear(l[call].op);
    zobrist ^= Mix(static_cast<uint64_t>(l[call].op));
    Unlift(l, call);
    entry = l[call].next;
  }
  return v;
}

// When every operation has a hint, checks whether the hint order is itself
// a linearization: it must respect real time (no operation placed after
// one that was invoked after it returned) and be a legal sequential run.
// True proves the history linearizable; false proves nothing.
bool HintOrderIsLinearization(const KeyHistory& kh) {
  const int n = static_cast<int>(kh.ops.size());
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) {
    if (kh.ops[i]->hint == 0) return false;
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&kh](int a, int b) {
    const Operation& x = *kh.ops[a];
    const Operation& y = *kh.ops[b];
    return x.hint != y.hint ? x.hint < y.hint : x.call < y.call;
  });
  int64_t min_ret_after = kInfinity;  // Over the operations placed later.
  for (int i = n - 1; i >= 0; --i) {
    const Operation& op = *kh.ops[order[i]];
    if (min_ret_after < op.call) return false;  // Real time broken.
    if (!op.unknown) min_ret_after = std::min(min_ret_after, op.ret);
  }
  int state = 0;
  for (int i = 0; i < n; ++i) {
    if (!Step(kh, order[i], state, &state)) return false;
  }
  return true;
}

std::string Explain(const KeyHistory& kh, int longest_prefix) {
  std::vector<const Operation*> ops = kh.ops;
  std::stable_sort(
      ops.begin(), ops.end(),
      [](const Operation* a, const Operation* b) { return a->call < b->call; });
  std::string s = "no linearization of the " + std::to_string(ops.size()) +
                  " operations on this key (at most " +
                  std::to_string(longest_prefix) +
                  " could be linearized together):\n";
  for (const Operation* op : ops) {
    s += "  " + DescribeOperation(*op) + "\n";
  }
  return s;
}

}  // namespace

std::string DescribeOperation(const Operation& op) {
  std::string s = "c" + std::to_string(op.client) + " ";
  if (op.kind == OpKind::kPut) {
    s += "put(" + op.key + ", " + op.value + ")";
  } else {
    s += "get(" + op.key + ")";
    s += op.unknown ? " -> ?" : " -> " + (op.value.empty() ? "\"\"" : op.value);
  }
  s += " [" + std::to_string(op.call) + ", ";
  s += op.unknown ? "?" : std::to_string(op.ret);
  s += "]";
  return s;
}

LinearizabilityResult CheckLinearizable(const std::vector<Operation>& history,
                                        uint64_t max_steps) {
  // Partition by key (ordered, so the result is deterministic) and intern
  // values per key.
  std::map<std::string, KeyHistory> by_key;
  std::map<std::string, std::unordered_map<std::string, int>> values;
  for (const Operation& op : history) {
    if (op.kind == OpKind::kGet && op.unknown) continue;
    KeyHistory& kh = by_key[op.key];
    auto& ids = values[op.key];
    if (ids.empty()) ids.emplace("", 0);
    auto it = ids.emplace(op.value, static_cast<int>(ids.size())).first;
    kh.ops.push_back(&op);
    kh.value_ids.push_back(it->second);
  }
  LinearizabilityResult result;
  for (const auto& [key, kh] : by_key) {
    if (HintOrderIsLinearization(kh)) {
      result.steps += kh.ops.size();
      continue;
    }
    uint64_t key_steps = 0;  // The budget is per key.
    KeyVerdict v = CheckKey(kh, /*exact=*/false, &key_steps, max_steps);
    if (v.verdict == LinearizabilityVerdict::kIllegal) {
      uint64_t confirm_steps = 0;
      v = CheckKey(kh, /*exact=*/true, &confirm_steps, max_steps);  // Confirm.
      key_steps += confirm_steps;
    }
    result.steps += key_steps;
    if (v.verdict == LinearizabilityVerdict::kOk) continue;
    result.verdict = v.verdict;
    result.key = key;
    if (v.verdict == LinearizabilityVerdict::kIllegal) {
      result.explanation = Explain(kh, v.longest_prefix);
      return result;
    }
    result.explanation = "search budget exceeded on key " + key;
    // Keep checking other keys: an illegal one is a stronger verdict.
  }
  return result;
}

}  // namespace fuzz
