#include "server/api/watch_encoding.h"

#include <cstdint>

#include "base/check.h"
#include "etcdserverpb/rpc.pb.h"

namespace server::api {
namespace {

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

std::string EncodeField(const mvccpb::Event& ev) {
  // Wire type 2: length-delimited.
  constexpr uint64_t kTag =
      (static_cast<uint64_t>(etcdserverpb::WatchResponse::kEventsFieldNumber)
       << 3) |
      2;
  const size_t size = ev.ByteSizeLong();
  std::string out;
  out.reserve(size + 8);
  AppendVarint(&out, kTag);
  AppendVarint(&out, size);
  ev.AppendToString(&out);
  return out;
}

}  // namespace

bool IsCreate(const mvccpb::Event& ev) {
  return ev.type() == mvccpb::Event::PUT &&
         ev.kv().create_revision() == ev.kv().mod_revision();
}

EncodedEvents::EncodedEvents(const std::vector<mvccpb::Event>& events)
    : events_(events),
      with_prev_(events.size()),
      without_prev_(events.size()) {}

const std::string& EncodedEvents::Field(const mvccpb::Event* ev, bool prev_kv) {
  CAIRN_CHECK(ev >= events_.data() && ev < events_.data() + events_.size(),
              "watch event outside its batch");
  const size_t i = static_cast<size_t>(ev - events_.data());
  // Without a prev_kv both forms are the same bytes.
  const bool keep = !ev->has_prev_kv() || (prev_kv && !IsCreate(*ev));
  std::string& slot = keep ? with_prev_[i] : without_prev_[i];
  if (!slot.empty()) return slot;
  if (keep) {
    slot = EncodeField(*ev);
  } else {
    mvccpb::Event stripped = *ev;
    stripped.clear_prev_kv();
    slot = EncodeField(stripped);
  }
  return slot;
}

}  // namespace server::api
