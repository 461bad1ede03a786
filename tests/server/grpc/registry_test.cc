#include "server/grpc/registry.h"

#include <gtest/gtest.h>

namespace server::grpc {
namespace {

TEST(MethodRegistryTest, LookupAndGrpcGoMessages) {
  MethodRegistry reg;
  reg.AddUnary("/etcdserverpb.KV/Range", [](CallPtr, std::string) {});
  reg.AddBidiStreaming("/etcdserverpb.Watch/Watch", [](CallPtr) {});
  reg.AddServerStreaming("/etcdserverpb.Maintenance/Snapshot",
                         [](CallPtr, std::string) {});
  reg.AddClientStreaming("/x.Y/Z", [](CallPtr) {});

  auto range = reg.Lookup("/etcdserverpb.KV/Range");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ((*range)->kind, CallKind::kUnary);
  EXPECT_EQ((*reg.Lookup("/etcdserverpb.Watch/Watch"))->kind, CallKind::kBidi);
  EXPECT_EQ((*reg.Lookup("/etcdserverpb.Maintenance/Snapshot"))->kind,
            CallKind::kServerStreaming);
  EXPECT_EQ((*reg.Lookup("/x.Y/Z"))->kind, CallKind::kClientStreaming);

  struct Case {
    const char* path;
    const char* message;
  };
  Case cases[] = {
      {"/etcdserverpb.KV/Foo",
       "unknown method Foo for service etcdserverpb.KV"},
      {"/etcdserverpb.Lease/LeaseGrant", "unknown service etcdserverpb.Lease"},
      {"etcdserverpb.KV/Range",
       "malformed method name: \"etcdserverpb.KV/Range\""},
      {"/nomethod", "malformed method name: \"/nomethod\""},
      {"/etcdserverpb.kv/Range", "unknown service etcdserverpb.kv"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    auto r = reg.Lookup(c.path);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kUnimplemented);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(MethodRegistryDeathTest, DuplicateRegistrationAborts) {
  MethodRegistry reg;
  reg.AddUnary("/a.B/C", [](CallPtr, std::string) {});
  EXPECT_DEATH(reg.AddUnary("/a.B/C", [](CallPtr, std::string) {}),
               "registered twice");
  EXPECT_DEATH(reg.AddUnary("no-slash", [](CallPtr, std::string) {}),
               "bad gRPC method path");
}

}  // namespace
}  // namespace server::grpc
