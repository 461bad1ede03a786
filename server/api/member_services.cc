// The HTTP endpoints /health and /version (the Cluster service is in
// cluster_service.cc).

#include <utility>

#include "cairnpb/internal.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/services.h"
#include "server/http/cors.h"
#include "server/metrics/server_metrics.h"

namespace server::api {

using http::Cors;

namespace {

// etcd 3.4: healthy when a leader is known and a read through consensus
// succeeds within a second.
void ServeHealth(const MemberContext* ctx, const http::HttpRequest& req,
                 http::ResponderPtr resp) {
  if (req.method != "GET") return http::SendMethodNotAllowed(resp, "GET");
  // etcd counts every answer: etcd_server_health_{success,failures}.
  auto unhealthy = [resp] {
    metrics::Server().health_failures->Inc();
    resp->Send(503, "text/plain; charset=utf-8", "{\"health\":\"false\"}\n",
               Cors());
  };
  if (ctx->node->leader() == 0) return unhealthy();
  cairnpb::InternalRequest request;
  request.mutable_range()->set_key("health");
  request.mutable_range()->set_keys_only(true);
  request.mutable_range()->set_limit(1);
  ctx->node->Read(
      request.SerializeAsString(), /*linearizable=*/true,
      [resp, unhealthy](Outcome o) {
        if (!o.status.ok()) return unhealthy();
        metrics::Server().health_success->Inc();
        resp->Send(200, "text/plain; charset=utf-8", "{\"health\":\"true\"}",
                   Cors());
      },
      /*timeout_ms=*/1000);
}

}  // namespace

void RegisterHttp(const MemberContext* ctx, http::HttpRouter* router) {
  router->Handle(
      "/version", [](const http::HttpRequest& req, http::ResponderPtr resp) {
        if (req.method != "GET") {
          return http::SendMethodNotAllowed(resp, "GET");
        }
        resp->Send(200, "application/json",
                   std::string("{\"etcdserver\":\"") + kServerVersion +
                       "\",\"etcdcluster\":\"" + kClusterVersion + "\"}",
                   Cors());
      });
  router->Handle("/health",
                 [ctx](const http::HttpRequest& req, http::ResponderPtr resp) {
                   ServeHealth(ctx, req, std::move(resp));
                 });
}

}  // namespace server::api
