// Store: watch history (Events) and the hash of the key-value state
// (HashKV).

#include <array>
#include <limits>

#include "kvstore/errors.h"
#include "kvstore/store.h"

namespace kvstore {
namespace {

// CRC-32C (Castagnoli), reflected, table-driven.
class Crc32c {
 public:
  void Update(const void* data, size_t n) {
    static const std::array<uint32_t, 256> kTable = MakeTable();
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
      crc_ = kTable[(crc_ ^ p[i]) & 0xff] ^ (crc_ >> 8);
    }
  }
  void UpdateInt(int64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) {
      b[i] = static_cast<unsigned char>(static_cast<uint64_t>(v) >> (8 * i));
    }
    Update(b, sizeof b);
  }
  void UpdateBytes(const std::string& s) {
    UpdateInt(static_cast<int64_t>(s.size()));
    Update(s.data(), s.size());
  }
  uint32_t value() const { return ~crc_; }

 private:
  static std::array<uint32_t, 256> MakeTable() {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82f63b78 ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }
  uint32_t crc_ = ~0u;
};

mvccpb::Event EventOf(const Row& row) {
  mvccpb::Event ev;
  mvccpb::KeyValue* kv = ev.mutable_kv();
  kv->set_key(row.key);
  kv->set_mod_revision(row.rev.main);
  if (row.tombstone()) {
    ev.set_type(mvccpb::Event::DELETE);
    return ev;
  }
  ev.set_type(mvccpb::Event::PUT);
  kv->set_create_revision(row.create_revision);
  kv->set_version(row.version);
  kv->set_value(row.value);
  kv->set_lease(row.lease);
  return ev;
}

}  // namespace

base::Result<EventPage> Store::Events(const KeyRange& range,
                                      int64_t start_revision, bool prev_kv,
                                      size_t max_events) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  if (start_revision < compact_rev_) return ErrCompacted();
  EventPage page;
  const int64_t start = std::max<int64_t>(start_revision, 1);
  page.next_revision = rev_ + 1;
  if (start > rev_) {
    page.next_revision = start;
    return page;
  }
  base::Status err;
  int64_t last_main = 0;
  // Takes one row; false stops the walk (page full at a revision boundary,
  // or an error).
  auto take = [&](const Row& row) {
    if (!range.Contains(row.key)) return true;
    if (page.events.size() >= max_events && row.rev.main != last_main) {
      page.next_revision = row.rev.main;
      return false;
    }
    mvccpb::Event ev = EventOf(row);
    if (prev_kv) {
      const KeyHistory* h = index_.Find(row.key);
      auto prev = h != nullptr ? h->PrevOf(row.rev) : std::nullopt;
      if (prev) {
        auto kv = ReadKv(*prev, true);
        if (!kv.ok()) {
          err = kv.status();
          return false;
        }
        *ev.mutable_prev_kv() = std::move(*kv);
      }
    }
    page.events.push_back(std::move(ev));
    last_main = row.rev.main;
    return true;
  };
  if (range.single()) {
    // One key: walk its history in the index instead of the whole kv table.
    const KeyHistory* h = index_.Find(range.key);
    if (h == nullptr) return page;
    const std::vector<Change> changes = h->changes;  // rows read below
    for (const Change& c : changes) {
      if (c.rev.main < start) continue;
      Row row;
      row.rev = c.rev;
      row.key = range.key;
      if (!c.tombstone) {
        auto r = backend_->GetKv(c.rev, true);
        if (!r.ok()) return Fail(r.status());
        if (!r->has_value()) return Fail(base::Status::DataLoss("row gone"));
        row = std::move(**r);
        row.rev = c.rev;
      }
      if (!take(row)) break;
    }
  } else {
    CAIRN_RETURN_IF_ERROR(Io(backend_->ScanKv(start, rev_, true, take)));
  }
  CAIRN_RETURN_IF_ERROR(err);
  return page;
}

base::Result<HashResult> Store::HashKV(int64_t revision) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  const int64_t at = revision > 0 ? revision : rev_;
  if (at > rev_) return ErrFutureRev();
  if (at < compact_rev_) return ErrCompacted();
  Crc32c crc;
  CAIRN_RETURN_IF_ERROR(Io(backend_->ScanKv(0, at, true, [&](const Row& r) {
    crc.UpdateInt(r.rev.main);
    crc.UpdateInt(r.rev.sub);
    crc.UpdateBytes(r.key);
    crc.UpdateInt(r.create_revision);
    crc.UpdateInt(r.version);
    crc.UpdateInt(r.lease);
    crc.UpdateBytes(r.value);
    return true;
  })));
  return HashResult{crc.value(), compact_rev_, at};
}

}  // namespace kvstore
