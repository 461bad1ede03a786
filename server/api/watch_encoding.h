#pragma once

// EncodedEvents: the events of one revision (or one page of history),
// serialized once for every watcher that gets them. A WatchResponse is its
// small head (header, watch_id) serialized per watcher, followed by the
// events' bytes as `events` fields (protobuf concatenation is merging, and
// a repeated field's elements may follow the other fields), so a revision
// sent to 1,000 watchers is encoded once or twice instead of copied and
// serialized 1,000 times.
//
//   EncodedEvents enc(batch);                       // one per batch
//   std::string out = head.SerializeAsString();     // per watcher
//   for (const mvccpb::Event* ev : its_events) out += enc.Field(ev, prev_kv);
//
// Thread safety: none; loop thread only.

#include <string>
#include <vector>

#include "mvccpb/kv.pb.h"

namespace server::api {

// etcd leaves prev_kv out of a create (a PUT whose key had no value).
bool IsCreate(const mvccpb::Event& ev);

class EncodedEvents {
 public:
  // `events` must outlive this object and not change.
  explicit EncodedEvents(const std::vector<mvccpb::Event>& events);

  // The bytes of *ev as one WatchResponse `events` field (tag, length,
  // Event), with its prev_kv when `prev_kv` is true and the event is not a
  // create, else without. REQUIRES: ev points into the `events` given.
  const std::string& Field(const mvccpb::Event* ev, bool prev_kv);

 private:
  const std::vector<mvccpb::Event>& events_;
  // Encoded lazily; an empty string is "not yet" (a field never is).
  std::vector<std::string> with_prev_;
  std::vector<std::string> without_prev_;
};

}  // namespace server::api
