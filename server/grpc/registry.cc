#include "server/grpc/registry.h"

#include <utility>

#include "base/check.h"

namespace server::grpc {

bool SplitMethodPath(std::string_view path, std::string_view* service,
                     std::string_view* method) {
  if (path.empty() || path[0] != '/') return false;
  path.remove_prefix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return false;
  *service = path.substr(0, slash);
  *method = path.substr(slash + 1);
  return true;
}

void MethodRegistry::Add(std::string path, Method method) {
  std::string_view svc;
  std::string_view name;
  CAIRN_CHECK(
      SplitMethodPath(path, &svc, &name) && !svc.empty() && !name.empty(),
      "bad gRPC method path %s", path.c_str());
  services_[std::string(svc)] += 1;
  bool inserted = methods_.emplace(std::move(path), std::move(method)).second;
  CAIRN_CHECK(inserted, "gRPC method registered twice");
}

void MethodRegistry::AddUnary(std::string path, UnaryHandler handler) {
  Add(std::move(path), Method{CallKind::kUnary, std::move(handler), nullptr});
}

void MethodRegistry::AddServerStreaming(std::string path,
                                        UnaryHandler handler) {
  Add(std::move(path),
      Method{CallKind::kServerStreaming, std::move(handler), nullptr});
}

void MethodRegistry::AddClientStreaming(std::string path,
                                        StreamHandler handler) {
  Add(std::move(path),
      Method{CallKind::kClientStreaming, nullptr, std::move(handler)});
}

void MethodRegistry::AddBidiStreaming(std::string path, StreamHandler handler) {
  Add(std::move(path), Method{CallKind::kBidi, nullptr, std::move(handler)});
}

base::Result<const Method*> MethodRegistry::Lookup(
    std::string_view path) const {
  auto it = methods_.find(path);
  if (it != methods_.end()) return &it->second;
  std::string_view svc;
  std::string_view name;
  if (!SplitMethodPath(path, &svc, &name)) {
    return base::Status::Unimplemented("malformed method name: \"" +
                                       std::string(path) + "\"");
  }
  if (services_.find(svc) == services_.end()) {
    return base::Status::Unimplemented("unknown service " + std::string(svc));
  }
  return base::Status::Unimplemented("unknown method " + std::string(name) +
                                     " for service " + std::string(svc));
}

}  // namespace server::grpc
