#include "server/gateway/gateway.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/wrappers.pb.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "base/check.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/gateway/json_values.h"
#include "server/gateway/routes.h"
#include "server/grpc/local_call.h"
#include "server/http/cors.h"
#include "v3electionpb/v3election.pb.h"
#include "v3lockpb/v3lock.pb.h"

namespace server::gateway {
namespace {

namespace pb = google::protobuf;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";

// A JSON string literal for `s`, escaped by protobuf's JSON printer.
std::string Quote(const std::string& s) {
  pb::StringValue v;
  v.set_value(s);
  std::string out;
  if (!pb::util::MessageToJsonString(v, &out).ok()) return "\"\"";
  return out;
}

// grpc-gateway's DefaultHTTPError body.
std::string ErrorBody(const base::Status& s) {
  std::string m = Quote(s.message());
  return "{\"error\":" + m + ",\"message\":" + m +
         ",\"code\":" + std::to_string(static_cast<int>(s.code())) + "}";
}

// grpc-gateway's stream error chunk (runtime/internal StreamError).
std::string StreamErrorBody(const base::Status& s) {
  int http = HttpStatusFromCode(s.code());
  return "{\"error\":{\"grpc_code\":" +
         std::to_string(static_cast<int>(s.code())) +
         ",\"http_code\":" + std::to_string(http) +
         ",\"message\":" + Quote(s.message()) +
         ",\"http_status\":" + Quote(std::string(http::ReasonPhrase(http))) +
         "}}";
}

const pb::Message* Prototype(const pb::Descriptor* type) {
  return pb::MessageFactory::generated_factory()->GetPrototype(type);
}

// Where a gateway call's answers go: converted to JSON and written to the
// HTTP response.
class GatewaySink final : public grpc::CallSink {
 public:
  GatewaySink(http::ResponderPtr responder, const pb::Descriptor* response,
              bool streaming)
      : responder_(std::move(responder)),
        prototype_(Prototype(response)),
        streaming_(streaming) {}

  void Write(std::string_view message) override {
    base::Result<std::string> json = ToJson(message);
    if (!json.ok()) {
      error_ = json.status();
      return;
    }
    if (!streaming_) {
      unary_json_ = std::move(json).value();
      return;
    }
    StartStream(200);
    responder_->WriteChunk("{\"result\":" + *json + "}\n");
  }

  void Finish(const base::Status& status) override {
    base::Status s = status.ok() ? error_ : status;
    if (streaming_) {
      if (!s.ok()) {
        StartStream(HttpStatusFromCode(s.code()));
        responder_->WriteChunk(StreamErrorBody(s));
      }
      StartStream(200);
      responder_->EndChunked();
      return;
    }
    if (s.ok()) {
      responder_->Send(200, kJson, unary_json_.value_or("{}"), OkHeaders());
      return;
    }
    // As grpc-gateway relays a Trailers-Only error: the gRPC trailer's
    // content type comes back as an HTTP trailer.
    responder_->StartChunked(
        HttpStatusFromCode(s.code()), kJson,
        http::Cors({{"Trailer", "Grpc-Trailer-Content-Type"}}));
    responder_->WriteChunk(ErrorBody(s));
    responder_->EndChunked({{"Grpc-Trailer-Content-Type", "application/grpc"}});
  }

  size_t pending_bytes() const override { return responder_->pending_bytes(); }

 private:
  static http::HttpResponder::Headers OkHeaders() {
    return http::Cors({{"Grpc-Metadata-Content-Type", "application/grpc"}});
  }

  void StartStream(int status) {
    if (started_) return;
    started_ = true;
    responder_->StartChunked(status, kJson, OkHeaders());
  }

  base::Result<std::string> ToJson(std::string_view bytes) const {
    std::unique_ptr<pb::Message> m(prototype_->New());
    if (!m->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return base::Status::Internal("gateway: cannot parse response");
    }
    pb::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string out;
    if (!pb::util::MessageToJsonString(*m, &out, options).ok()) {
      return base::Status::Internal("gateway: cannot print response");
    }
    return out;
  }

  http::ResponderPtr responder_;
  const pb::Message* prototype_;
  const bool streaming_;
  bool started_ = false;
  std::optional<std::string> unary_json_;
  base::Status error_;
};

// One JSON value into a serialized `type` message.
base::Result<std::string> ParseJson(std::string_view json,
                                    const pb::Descriptor* type) {
  std::unique_ptr<pb::Message> m(Prototype(type)->New());
  pb::StringPiece text(json.data(), json.size());
  pb::util::JsonParseOptions options;
  auto st = pb::util::JsonStringToMessage(text, m.get(), options);
  if (!st.ok() && st.message().find("Cannot find field") != std::string::npos) {
    // grpc-gateway ignores unknown fields (AllowUnknownFields) but, unlike
    // protobuf's ignore_unknown_fields, not unknown enum names: only a
    // strict parse that failed on a field name is retried leniently.
    m->Clear();
    options.ignore_unknown_fields = true;
    st = pb::util::JsonStringToMessage(text, m.get(), options);
  }
  if (!st.ok()) return base::Status::InvalidArgument(std::string(st.message()));
  return m->SerializeAsString();
}

// The request messages of `body`: the first JSON value only for a unary or
// server-streaming method, every value for a client-streaming one (up to
// the first bad one, as grpc-gateway stops sending there). A bad first
// value is the error.
base::Result<std::vector<std::string>> ParseBody(
    std::string_view body, const pb::MethodDescriptor* method) {
  std::vector<std::string> out;
  JsonValueReader reader(body);
  while (true) {
    auto next = reader.Next();
    base::Result<std::string> message =
        !next.ok()           ? base::Result<std::string>(next.status())
        : !next->has_value() ? base::Result<std::string>(std::string())
                             : ParseJson(**next, method->input_type());
    if (!message.ok()) {
      if (out.empty()) return message.status();
      break;
    }
    if (!next->has_value()) break;
    out.push_back(std::move(message).value());
    if (!method->client_streaming()) break;
  }
  return out;
}

grpc::Metadata RequestMetadata(const http::HttpRequest& req) {
  grpc::Metadata md;
  constexpr std::string_view kPrefix = "grpc-metadata-";
  for (const auto& [name, value] : req.headers) {
    if (name == "authorization") {
      md.emplace_back(name, value);
    } else if (name.size() > kPrefix.size() &&
               name.compare(0, kPrefix.size(), kPrefix) == 0) {
      md.emplace_back(name.substr(kPrefix.size()), value);
    }
  }
  return md;
}

const pb::MethodDescriptor* FindMethod(std::string_view grpc_path) {
  // "/pkg.Service/Method" -> "pkg.Service.Method".
  std::string name(grpc_path.substr(1));
  name[name.rfind('/')] = '.';
  return pb::DescriptorPool::generated_pool()->FindMethodByName(name);
}

void Serve(const grpc::MethodRegistry* methods, const http::HttpRequest& req,
           http::ResponderPtr resp) {
  std::string path = req.path;
  if (path.rfind("/v3beta/", 0) == 0) path.replace(0, 8, "/v3/");
  const Route* route = FindRoute(path);
  if (route == nullptr) {
    return resp->Send(404, kText, "Not Found\n",
                      http::Cors({{"X-Content-Type-Options", "nosniff"}}));
  }
  if (req.method != "POST") return http::SendMethodNotAllowed(resp);
  const pb::MethodDescriptor* method = FindMethod(route->grpc_method);
  CAIRN_CHECK(method != nullptr, "no descriptor for %s",
              std::string(route->grpc_method).c_str());
  auto requests = ParseBody(req.body, method);
  if (!requests.ok()) {
    // grpc-gateway: InvalidArgument for a unary body; a streaming body's
    // decode error is not a gRPC status and comes back as Unknown (500).
    base::Status s = method->client_streaming()
                         ? base::Status::Unknown(requests.status().message())
                         : requests.status();
    return resp->Send(HttpStatusFromCode(s.code()), kJson, ErrorBody(s),
                      http::Cors());
  }
  auto sink = std::make_shared<GatewaySink>(resp, method->output_type(),
                                            method->server_streaming());
  auto local = grpc::LocalCall::Start(*methods, std::string(route->grpc_method),
                                      RequestMetadata(req), sink);
  if (!local.ok()) return sink->Finish(local.status());
  grpc::LocalCall call = std::move(local).value();
  resp->OnClose([call]() mutable { call.Cancel(); });
  resp->OnDrained([call]() mutable { call.WriteReady(); });
  for (std::string& m : *requests) call.Send(std::move(m));
  call.HalfClose();
}

}  // namespace

int HttpStatusFromCode(base::StatusCode code) {
  using C = base::StatusCode;
  switch (code) {
    case C::kOk:
      return 200;
    case C::kCancelled:
      return 408;
    case C::kInvalidArgument:
    case C::kOutOfRange:
      return 400;
    case C::kDeadlineExceeded:
      return 504;
    case C::kNotFound:
      return 404;
    case C::kAlreadyExists:
    case C::kAborted:
      return 409;
    case C::kPermissionDenied:
      return 403;
    case C::kUnauthenticated:
      return 401;
    case C::kResourceExhausted:
      return 429;
    case C::kFailedPrecondition:
      return 412;  // grpc-gateway 1.6 (Debian's etcd); 1.9 says 400.
    case C::kUnimplemented:
      return 501;
    case C::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void RegisterGateway(const grpc::MethodRegistry* methods,
                     http::HttpRouter* router) {
  // Link the generated files whose services the routes name, so that their
  // descriptors are in the generated pool, and check the table against
  // them once.
  (void)etcdserverpb::RangeRequest::descriptor();
  (void)v3lockpb::LockRequest::descriptor();
  (void)v3electionpb::CampaignRequest::descriptor();
  size_t n = 0;
  const Route* routes = AllRoutes(&n);
  for (size_t i = 0; i < n; ++i) {
    CAIRN_CHECK(FindMethod(routes[i].grpc_method) != nullptr,
                "gateway route %s names an unknown method",
                std::string(routes[i].http_path).c_str());
  }
  auto serve = [methods](const http::HttpRequest& req,
                         http::ResponderPtr resp) {
    Serve(methods, req, std::move(resp));
  };
  router->HandlePrefix("/v3/", serve);
  router->HandlePrefix("/v3beta/", serve);
}

}  // namespace server::gateway
