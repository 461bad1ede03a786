#pragma once

// CounterStateMachine: the smallest useful StateMachine, to prove the node
// hosts any deterministic state machine, not only kvstore. Each entry holds
// a decimal integer to add; the state is (applied index, sum), written to a
// file after every batch (rename-atomic, no fsync: the WAL is the record).
// A query answers the sum in decimal.

#include <fstream>
#include <functional>
#include <string>

#include "server/state_machine/state_machine.h"

namespace server::testing {

class CounterStateMachine final : public StateMachine {
 public:
  explicit CounterStateMachine(std::string path) : path_(std::move(path)) {
    Load(path_);
  }

  uint64_t AppliedIndex() const override { return index_; }

  base::Status Apply(std::span<const CommittedEntry> entries,
                     std::vector<Outcome>* outcomes) override {
    for (const CommittedEntry& e : entries) {
      if (e.index <= index_) continue;
      index_ = e.index;
      if (e.data.empty()) continue;
      Outcome o;
      o.index = e.index;
      try {
        sum_ += std::stoll(std::string(e.data));
        o.response = std::to_string(sum_);
      } catch (...) {
        o.status = base::Status::InvalidArgument("not a number");
      }
      outcomes->push_back(std::move(o));
      ++applied_entries_;
    }
    return Save(path_, index_, sum_);
  }

  Outcome Query(std::string_view) override {
    return Outcome{index_, base::Status::OK(), std::to_string(sum_)};
  }

  // Pins a copy of (index, sum); WriteTo writes the copy.
  base::Result<std::unique_ptr<PinnedSnapshot>> BeginSnapshot() override {
    struct Pinned final : PinnedSnapshot {
      uint64_t index_ = 0;
      int64_t sum_ = 0;
      std::function<base::Status()> before_write_;
      uint64_t index() const override { return index_; }
      base::Status WriteTo(const std::string& path) override {
        if (before_write_) CAIRN_RETURN_IF_ERROR(before_write_());
        return Save(path, index_, sum_);
      }
    };
    auto p = std::make_unique<Pinned>();
    p->index_ = index_;
    p->sum_ = sum_;
    p->before_write_ = before_snapshot_write;
    return std::unique_ptr<PinnedSnapshot>(std::move(p));
  }

  base::Status RestoreSnapshot(const std::string& path) override {
    if (!Load(path)) return base::Status::DataLoss("bad snapshot " + path);
    return Save(path_, index_, sum_);
  }

  // Runs at the start of each PinnedSnapshot::WriteTo, on the node's
  // snapshot thread (tests hold the write there); an error is WriteTo's.
  std::function<base::Status()> before_snapshot_write;

  int64_t sum() const { return sum_; }
  // Entries applied by this object (not counting replays it skipped).
  int applied_entries() const { return applied_entries_; }

 private:
  bool Load(const std::string& path) {
    std::ifstream in(path);
    return static_cast<bool>(in >> index_ >> sum_);
  }
  static base::Status Save(const std::string& path, uint64_t index,
                           int64_t sum) {
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << index << " " << sum << "\n";
      if (!out) return base::Status::Internal("write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      return base::Status::Internal("rename " + tmp);
    }
    return base::Status::OK();
  }

  std::string path_;
  uint64_t index_ = 0;
  int64_t sum_ = 0;
  int applied_entries_ = 0;
};

}  // namespace server::testing
