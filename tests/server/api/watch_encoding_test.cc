#include "server/api/watch_encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "etcdserverpb/rpc.pb.h"

namespace server::api {
namespace {

mvccpb::Event MakeEvent(mvccpb::Event::EventType type, const std::string& key,
                        int64_t create_rev, int64_t mod_rev, bool with_prev) {
  mvccpb::Event ev;
  ev.set_type(type);
  ev.mutable_kv()->set_key(key);
  ev.mutable_kv()->set_value(std::string(300, 'v'));  // Length > 127.
  ev.mutable_kv()->set_create_revision(create_rev);
  ev.mutable_kv()->set_mod_revision(mod_rev);
  if (with_prev) {
    ev.mutable_prev_kv()->set_key(key);
    ev.mutable_prev_kv()->set_value("old");
  }
  return ev;
}

// A head serialized alone plus the fields parses as the WatchResponse built
// by copying the events in, for both prev_kv choices.
TEST(EncodedEventsTest, ConcatenationEqualsBuiltResponse) {
  const std::vector<mvccpb::Event> batch = {
      MakeEvent(mvccpb::Event::PUT, "a", 2, 5, true),     // Update.
      MakeEvent(mvccpb::Event::PUT, "b", 5, 5, true),     // Create.
      MakeEvent(mvccpb::Event::DELETE, "c", 0, 5, true),  // Delete.
      MakeEvent(mvccpb::Event::PUT, "d", 5, 5, false),    // Create, no prev.
  };
  EncodedEvents enc(batch);
  for (bool prev_kv : {true, false}) {
    SCOPED_TRACE(prev_kv ? "prev_kv" : "no prev_kv");
    etcdserverpb::WatchResponse head;
    head.set_watch_id(7);
    head.mutable_header()->set_revision(5);
    etcdserverpb::WatchResponse want = head;
    std::string bytes = head.SerializeAsString();
    for (const mvccpb::Event& ev : batch) {
      bytes += enc.Field(&ev, prev_kv);
      mvccpb::Event* e = want.add_events();
      *e = ev;
      if (!prev_kv || IsCreate(ev)) e->clear_prev_kv();
    }
    etcdserverpb::WatchResponse got;
    ASSERT_TRUE(got.ParseFromString(bytes));
    EXPECT_EQ(got.DebugString(), want.DebugString());
  }
  // Encoded once per form: the same bytes come back.
  EXPECT_EQ(&enc.Field(&batch[0], true), &enc.Field(&batch[0], true));
  EXPECT_NE(enc.Field(&batch[0], true), enc.Field(&batch[0], false));
  EXPECT_EQ(&enc.Field(&batch[3], true), &enc.Field(&batch[3], false));
}

TEST(EncodedEventsDeathTest, EventOutsideTheBatchAborts) {
  const std::vector<mvccpb::Event> batch(1);
  const mvccpb::Event other;
  EncodedEvents enc(batch);
  EXPECT_DEATH(enc.Field(&other, true), "outside its batch");
}

}  // namespace
}  // namespace server::api
