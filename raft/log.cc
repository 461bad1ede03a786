#include "raft/log.h"

#include <algorithm>
#include <cinttypes>

#include "base/check.h"
#include "raft/config.h"
#include "raft/errors.h"

namespace raft {
namespace {

using ull = unsigned long long;

// Appends entries from `src` to *out while the total size stays within
// max_size (counting `size` already used); at least one entry. Returns the new
// total size.
uint64_t AppendLimited(std::span<const raftpb::Entry> src, uint64_t size,
                       uint64_t max_size, std::vector<raftpb::Entry>* out,
                       bool* truncated) {
  *truncated = false;
  bool first = true;
  for (const raftpb::Entry& e : src) {
    uint64_t s = raftpb::EntrySize(e);
    if (!first && size + s > max_size) {
      *truncated = true;
      break;
    }
    first = false;
    size += s;
    out->push_back(e);
  }
  return size;
}

// Unwraps a storage result that must not fail.
template <typename T>
T MustStorage(base::Result<T> r, const char* what) {
  CAIRN_CHECK(r.ok(), "storage %s failed: %s", what,
              r.status().ToString().c_str());
  return std::move(r).value();
}

}  // namespace

RaftLog::RaftLog(Storage* storage, Logger* logger,
                 uint64_t max_applying_ents_size)
    : storage_(storage),
      unstable_(MustStorage(storage->LastIndex(), "LastIndex") + 1, logger),
      logger_(logger),
      max_applying_ents_size_(max_applying_ents_size) {
  uint64_t first = MustStorage(storage->FirstIndex(), "FirstIndex");
  // Everything up to the snapshot is committed and applied.
  committed_ = first - 1;
  applying_ = first - 1;
  applied_ = first - 1;
}

std::string RaftLog::String() const {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "committed=%llu, applied=%llu, applying=%llu, "
                "unstable.offset=%llu, unstable.offsetInProgress=%llu, "
                "len(unstable.Entries)=%zu",
                static_cast<ull>(committed_), static_cast<ull>(applied_),
                static_cast<ull>(applying_),
                static_cast<ull>(unstable_.offset()),
                static_cast<ull>(unstable_.offset_in_progress()),
                unstable_.entries().size());
  return buf;
}

std::optional<uint64_t> RaftLog::MaybeAppend(
    uint64_t index, uint64_t log_term, uint64_t committed,
    std::span<const raftpb::Entry> ents) {
  if (!MatchTerm(index, log_term)) return std::nullopt;
  uint64_t lastnewi = index + ents.size();
  uint64_t ci = FindConflict(ents);
  if (ci != 0) {
    CAIRN_CHECK(ci > committed_,
                "entry %llu conflict with committed entry [committed(%llu)]",
                static_cast<ull>(ci), static_cast<ull>(committed_));
    uint64_t offset = index + 1;
    CAIRN_CHECK(ci - offset < ents.size(), "index %llu is out of range [%zu]",
                static_cast<ull>(ci - offset), ents.size());
    Append(ents.subspan(static_cast<size_t>(ci - offset)));
  }
  CommitTo(std::min(committed, lastnewi));
  return lastnewi;
}

uint64_t RaftLog::Append(std::span<const raftpb::Entry> ents) {
  if (ents.empty()) return LastIndex();
  uint64_t after = ents[0].index - 1;
  CAIRN_CHECK(after >= committed_,
              "after(%llu) is out of range [committed(%llu)]",
              static_cast<ull>(after), static_cast<ull>(committed_));
  unstable_.TruncateAndAppend(ents);
  return LastIndex();
}

uint64_t RaftLog::FindConflict(std::span<const raftpb::Entry> ents) const {
  for (const raftpb::Entry& ne : ents) {
    if (!MatchTerm(ne.index, ne.term)) {
      if (ne.index <= LastIndex()) {
        logger_->Infof(
            "found conflict at index %llu [existing term: %llu, conflicting "
            "term: %llu]",
            static_cast<ull>(ne.index),
            static_cast<ull>(ZeroTermOnOutOfBounds(ne.index)),
            static_cast<ull>(ne.term));
      }
      return ne.index;
    }
  }
  return 0;
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t index,
                                                          uint64_t term) const {
  for (; index > 0; --index) {
    // On an error (compacted or unavailable) we cannot tell whether the
    // entry matches: assume it may, and report the term as unknown (0).
    std::optional<uint64_t> our = TermIfKnown(index);
    if (!our) return {index, 0};
    if (*our <= term) return {index, *our};
  }
  return {0, 0};
}

uint64_t RaftLog::MaxAppliableIndex(bool allow_unstable) const {
  uint64_t hi = committed_;
  if (!allow_unstable) hi = std::min(hi, unstable_.offset() - 1);
  return hi;
}

void RaftLog::NextCommittedEnts(bool allow_unstable,
                                std::vector<raftpb::Entry>* out) const {
  if (applying_ents_paused_ || HasNextOrInProgressSnapshot()) return;
  uint64_t lo = applying_ + 1;
  uint64_t hi = MaxAppliableIndex(allow_unstable) + 1;
  if (lo >= hi) return;
  // The budget left. When nothing is being applied, at least one entry
  // goes out even over the budget (a budget of 0 means one entry at a
  // time, like max_size_per_msg = 0).
  if (applying_ents_size_ > 0 &&
      applying_ents_size_ >= max_applying_ents_size_) {
    return;
  }
  uint64_t max_size = applying_ents_size_ < max_applying_ents_size_
                          ? max_applying_ents_size_ - applying_ents_size_
                          : 0;
  base::Status s = Slice(lo, hi, max_size, out);
  CAIRN_CHECK(s.ok(), "unexpected error when getting unapplied entries: %s",
              s.ToString().c_str());
}

bool RaftLog::HasNextCommittedEnts(bool allow_unstable) const {
  if (applying_ents_paused_ || HasNextOrInProgressSnapshot()) return false;
  return applying_ + 1 < MaxAppliableIndex(allow_unstable) + 1;
}

base::Result<raftpb::Snapshot> RaftLog::Snapshot() const {
  if (unstable_.snapshot()) return *unstable_.snapshot();
  return storage_->Snapshot();
}

uint64_t RaftLog::FirstIndex() const {
  if (auto i = unstable_.MaybeFirstIndex()) return *i;
  return MustStorage(storage_->FirstIndex(), "FirstIndex");
}

uint64_t RaftLog::LastIndex() const {
  if (auto i = unstable_.MaybeLastIndex()) return *i;
  return MustStorage(storage_->LastIndex(), "LastIndex");
}

uint64_t RaftLog::LastTerm() const {
  base::Result<uint64_t> t = Term(LastIndex());
  CAIRN_CHECK(t.ok(), "unexpected error when getting the last term: %s",
              t.status().ToString().c_str());
  return *t;
}

std::optional<uint64_t> RaftLog::TermIfKnown(uint64_t i) const {
  // The unstable log first: if it knows the term, i is in range.
  if (auto t = unstable_.MaybeTerm(i)) return t;
  // The valid range is [first index - 1, last index]: the term of the entry
  // before the first is kept (the snapshot's) for the append check.
  if (i + 1 < FirstIndex() || i > LastIndex()) return std::nullopt;
  base::Result<uint64_t> t = storage_->Term(i);
  if (t.ok()) return *t;
  CAIRN_CHECK(t.status() == ErrCompacted() || t.status() == ErrUnavailable(),
              "storage Term(%llu) failed: %s", static_cast<ull>(i),
              t.status().ToString().c_str());
  return std::nullopt;
}

base::Result<uint64_t> RaftLog::Term(uint64_t i) const {
  if (auto t = TermIfKnown(i)) return *t;
  if (i + 1 < FirstIndex()) return ErrCompacted();
  return ErrUnavailable();
}

uint64_t RaftLog::ZeroTermOnOutOfBounds(uint64_t i) const {
  return TermIfKnown(i).value_or(0);
}

bool RaftLog::MatchTerm(uint64_t i, uint64_t term) const {
  std::optional<uint64_t> t = TermIfKnown(i);
  return t && *t == term;
}

base::Status RaftLog::Entries(uint64_t i, uint64_t max_size,
                              std::vector<raftpb::Entry>* out) const {
  uint64_t last = LastIndex();
  if (i > last) return base::Status();
  return Slice(i, last + 1, max_size, out);
}

std::vector<raftpb::Entry> RaftLog::AllEntries() const {
  std::vector<raftpb::Entry> out;
  base::Status s = Entries(FirstIndex(), kNoLimit, &out);
  CAIRN_CHECK(s.ok(), "AllEntries: %s", s.ToString().c_str());
  return out;
}

bool RaftLog::IsUpToDate(uint64_t lasti, uint64_t term) const {
  uint64_t our_term = LastTerm();
  return term > our_term || (term == our_term && lasti >= LastIndex());
}

void RaftLog::CommitTo(uint64_t to_commit) {
  // Never decrease commit.
  if (committed_ < to_commit) {
    CAIRN_CHECK(LastIndex() >= to_commit,
                "tocommit(%llu) is out of range [lastIndex(%llu)]. Was the "
                "raft log corrupted, truncated, or lost?",
                static_cast<ull>(to_commit), static_cast<ull>(LastIndex()));
    committed_ = to_commit;
  }
}

bool RaftLog::MaybeCommit(uint64_t max_index, uint64_t term) {
  // Term 0 never matches: a leader's term is at least 1.
  if (term != 0 && max_index > committed_ && MatchTerm(max_index, term)) {
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t i, uint64_t size) {
  CAIRN_CHECK(committed_ >= i && i >= applied_,
              "applied(%llu) is out of range [prevApplied(%llu), "
              "committed(%llu)]",
              static_cast<ull>(i), static_cast<ull>(applied_),
              static_cast<ull>(committed_));
  applied_ = i;
  applying_ = std::max(applying_, i);
  applying_ents_size_ =
      applying_ents_size_ > size ? applying_ents_size_ - size : 0;
  applying_ents_paused_ =
      applying_ents_size_ > 0 && applying_ents_size_ >= max_applying_ents_size_;
}

void RaftLog::AcceptApplying(uint64_t i, uint64_t size, bool allow_unstable) {
  CAIRN_CHECK(committed_ >= i,
              "applying(%llu) is out of range [committed(%llu)]",
              static_cast<ull>(i), static_cast<ull>(committed_));
  applying_ = i;
  applying_ents_size_ += size;
  // Pause when the budget is used up, or when the last hand-out stopped
  // short of what could be applied (the next entry would not fit).
  applying_ents_paused_ = (applying_ents_size_ > 0 &&
                           applying_ents_size_ >= max_applying_ents_size_) ||
                          i < MaxAppliableIndex(allow_unstable);
}

void RaftLog::Restore(const raftpb::Snapshot& snap) {
  logger_->Infof(
      "log [%s] starts to restore snapshot [index: %llu, term: %llu]",
      String().c_str(), static_cast<ull>(snap.metadata.index),
      static_cast<ull>(snap.metadata.term));
  committed_ = snap.metadata.index;
  unstable_.Restore(snap);
}

base::Status RaftLog::MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const {
  CAIRN_CHECK(lo <= hi, "invalid slice %llu > %llu", static_cast<ull>(lo),
              static_cast<ull>(hi));
  uint64_t fi = FirstIndex();
  if (lo < fi) return ErrCompacted();
  uint64_t last = LastIndex();
  CAIRN_CHECK(hi <= last + 1, "slice[%llu,%llu) out of bound [%llu,%llu]",
              static_cast<ull>(lo), static_cast<ull>(hi), static_cast<ull>(fi),
              static_cast<ull>(last));
  return base::Status();
}

base::Status RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_size,
                            std::vector<raftpb::Entry>* out) const {
  CAIRN_RETURN_IF_ERROR(MustCheckOutOfBounds(lo, hi));
  if (lo == hi) return base::Status();
  size_t start = out->size();
  uint64_t offset = unstable_.offset();
  bool truncated = false;
  if (lo >= offset) {
    AppendLimited(std::span<const raftpb::Entry>(unstable_.entries())
                      .subspan(static_cast<size_t>(lo - offset),
                               static_cast<size_t>(hi - lo)),
                  0, max_size, out, &truncated);
    return base::Status();
  }
  uint64_t cut = std::min(hi, offset);
  base::Status s = storage_->Entries(lo, cut, max_size, out);
  // (Errors are compared only when there is one: building the sentinel
  // Statuses allocates, and this is the hot path.)
  if (!s.ok()) {
    if (s == ErrCompacted()) return s;
    CAIRN_CHECK(s != ErrUnavailable(),
                "entries[%llu:%llu) is unavailable from storage",
                static_cast<ull>(lo), static_cast<ull>(cut));
    CAIRN_CHECK(false, "storage Entries failed: %s", s.ToString().c_str());
  }
  if (hi <= offset) return base::Status();
  // Storage stopped early: the size limit was reached.
  if (out->size() - start < cut - lo) return base::Status();
  uint64_t size = 0;
  for (size_t i = start; i < out->size(); ++i) {
    size += raftpb::EntrySize((*out)[i]);
  }
  if (size >= max_size) return base::Status();
  std::span<const raftpb::Entry> rest =
      std::span<const raftpb::Entry>(unstable_.entries())
          .subspan(0, static_cast<size_t>(hi - offset));
  for (const raftpb::Entry& e : rest) {
    uint64_t es = raftpb::EntrySize(e);
    if (size + es > max_size) break;
    size += es;
    out->push_back(e);
  }
  return base::Status();
}

}  // namespace raft
