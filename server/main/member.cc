#include "server/main/member.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "cairnpb/internal.pb.h"
#include "server/api/concurrency_services.h"
#include "server/api/watch_stream.h"
#include "server/config/ids.h"
#include "server/gateway/gateway.h"
#include "server/main/member_metrics.h"
#include "server/main/peering.h"
#include "server/membership/bootstrap.h"
#include "server/membership/peers.h"
#include "server/wal/file_util.h"

namespace server {

Member::Member(uv_loop_t* loop, ServerConfig config)
    : loop_(loop), config_(std::move(config)) {}

Member::~Member() {
  transport_.reset();
  watch_hub_.reset();
  node_.reset();
  membership_.reset();
  state_machine_.reset();
  store_.reset();
  if (lock_fd_ >= 0) close(lock_fd_);
}

base::Result<std::unique_ptr<Member>> Member::Open(
    uv_loop_t* loop, const ServerConfig& config,
    std::function<void(const base::Status&)> on_fatal) {
  std::unique_ptr<Member> m(new Member(loop, config));
  const std::string dir = config.DataDir();
  CAIRN_RETURN_IF_ERROR(wal::CreateDirs(dir + "/member"));
  std::string lock_path = dir + "/cairn.lock";
  m->lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (m->lock_fd_ < 0 || flock(m->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return base::Status::FailedPrecondition("data dir " + dir +
                                            " is in use by another process (" +
                                            lock_path + " is locked)");
  }

  kvstore::Options kv;
  kv.max_txn_ops = static_cast<int>(config.max_txn_ops);
  // etcd: minimum lease TTL is ceil(1.5 * election timeout).
  kv.min_lease_ttl =
      static_cast<int64_t>((3 * config.election_timeout_ms + 1999) / 2000);
  kv.clock = &api::LeaseKeeper::NowMs;
  CAIRN_ASSIGN_OR_RETURN(m->store_,
                         kvstore::Store::Open(dir + "/member/kv.db", kv));
  m->state_machine_ = std::make_unique<KvStateMachine>(m->store_.get());

  CAIRN_ASSIGN_OR_RETURN(std::optional<cairnpb::Membership> stored,
                         m->store_->Membership());
  CAIRN_ASSIGN_OR_RETURN(MemberIdentity identity,
                         IdentifyMember(config, stored.has_value()));
  Member* mp = m.get();
  NodeOptions no;
  no.member_id = identity.member_id;
  no.cluster_id = identity.cluster_id;
  no.initial_voters = identity.initial_voters;
  // The registry opens after the node (which knows this member's ID); the
  // hooks run only once the node has started.
  no.apply_conf_change = [mp](uint64_t index, const raftpb::ConfState& cs,
                              raftpb::ConfChange* cc) {
    return mp->membership_->ApplyConfChange(index, cs, cc);
  };
  no.on_restored = [mp](uint64_t index) { mp->membership_->OnRestored(index); };
  no.data_dir = dir;
  no.tick_ms = config.heartbeat_interval_ms;
  no.election_ticks = config.ElectionTicks();
  no.snapshot_count = config.snapshot_count;
  no.catch_up_entries = config.snapshot_catchup_entries;
  // etcd's ReqTimeout.
  const uint64_t request_timeout_ms = 5000 + 2 * config.election_timeout_ms;
  no.request_timeout_ms = request_timeout_ms;
  no.on_fatal = on_fatal;
  no.send = [mp](std::vector<raftpb::Message> msgs) {
    if (mp->transport_) mp->transport_->Send(std::move(msgs));
  };
  m->on_fatal_ = no.on_fatal;
  CAIRN_ASSIGN_OR_RETURN(
      m->node_, Node::Open(loop, std::move(no), m->state_machine_.get()));

  MembershipHooks mhooks;
  mhooks.on_change = [mp](const membership::Applied& a) {
    if (mp->transport_) membership::ApplyToTransport(a, mp->transport_.get());
  };
  mhooks.on_removed = on_fatal;
  CAIRN_ASSIGN_OR_RETURN(m->membership_,
                         OpenMembership(loop, config, m->node_->member_id(),
                                        std::move(identity.initial),
                                        m->store_.get(), std::move(mhooks)));

  CAIRN_ASSIGN_OR_RETURN(
      uint64_t retention,
      ParseCompactionRetention(config.auto_compaction_mode,
                               config.auto_compaction_retention));
  if (retention > 0) {
    AutoCompactor::Hooks hooks;
    hooks.current_revision = [mp] { return mp->store_->CurrentRevision(); };
    hooks.is_leader = [mp] { return mp->node_->is_leader(); };
    hooks.compact = [mp](int64_t rev,
                         std::function<void(const base::Status&)> done) {
      cairnpb::InternalRequest request;
      request.mutable_compaction()->set_revision(rev);
      mp->node_->Propose(request.SerializeAsString(),
                         [done](Outcome o) { done(o.status); });
    };
    m->compactor_ = std::make_unique<AutoCompactor>(
        loop, config.auto_compaction_mode, retention, std::move(hooks));
  }

  // Requests only the leader answers (lease keep-alives and queries,
  // member promotion) reach it on a peer request stream
  // (docs/peer-protocol.md, "Request streams").
  m->forwarder_ = std::make_unique<api::LeaderForwarder>(loop, m->node_.get(),
                                                         request_timeout_ms);
  m->forwarder_->SetForward(
      [mp](uint64_t to, std::string request,
           std::function<void(base::Result<std::string>)> done) {
        if (!mp->transport_) {
          return done(base::Status::Unavailable("peer transport not started"));
        }
        mp->transport_->Call(to, std::move(request), std::move(done));
      });
  m->lease_keeper_ = std::make_unique<api::LeaseKeeper>(
      loop, m->node_.get(), m->store_.get(), m->forwarder_.get(),
      config.election_timeout_ms);

  m->context_.node = m->node_.get();
  m->context_.store = m->store_.get();
  m->context_.name = config.name;
  m->context_.members = InitialMemberIds(config);
  m->context_.membership = m->membership_.get();
  m->context_.forwarder = m->forwarder_.get();
  for (const Url& u : config.advertise_client_urls) {
    m->context_.client_urls.push_back(u.ToString());
  }
  m->context_.max_request_bytes = config.max_request_bytes;
  m->context_.data_dir = dir;
  m->context_.quota_backend_bytes = config.QuotaBackendBytes();
  api::RegisterKv(&m->context_, &m->methods_);
  api::RegisterMaintenance(&m->context_, &m->methods_);
  api::RegisterCluster(&m->context_, &m->methods_);
  api::RegisterLease(&m->context_, m->lease_keeper_.get(), &m->methods_);
  api::WatchHubOptions watch;
  // etcd raises an interval under 100 ms to 100 ms.
  watch.progress_interval_ms = config.watch_progress_notify_interval_ms;
  if (watch.progress_interval_ms > 0 && watch.progress_interval_ms < 100) {
    watch.progress_interval_ms = 100;
  }
  // etcd checks for a leader once per election timeout.
  watch.has_leader = [node = m->node_.get()] { return node->leader() != 0; };
  watch.leader_check_ms = config.election_timeout_ms;
  CAIRN_ASSIGN_OR_RETURN(m->watch_hub_,
                         api::WatchHub::Create(loop, m->store_.get(), watch));
  api::RegisterWatch(&m->context_, m->watch_hub_.get(), &m->methods_);
  m->methods_.SetPrecheck(api::RequireLeaderPrecheck(&m->context_));
  api::RegisterLock(&m->context_, m->watch_hub_.get(), &m->methods_);
  api::RegisterElection(&m->context_, m->watch_hub_.get(), &m->methods_);
  api::RegisterHttp(&m->context_, &m->routes_);
  gateway::RegisterGateway(&m->methods_, &m->routes_);
  RegisterMemberMetrics({m->node_.get(), m->store_.get(), m->watch_hub_.get(),
                         config.QuotaBackendBytes()},
                        &m->metrics_);
  RegisterMetricsEndpoint(&m->metrics_, &m->routes_);
  return m;
}

base::Status Member::Start() {
  CAIRN_ASSIGN_OR_RETURN(transport_,
                         StartPeerTransport(loop_, config_, membership_.get(),
                                            node_.get(), [this] {
                                              if (on_fatal_)
                                                on_fatal_(ErrMemberRemoved());
                                            }));
  api::LeaderForwarder* forwarder = forwarder_.get();
  transport_->SetOnRequest([forwarder](uint64_t /*from*/, std::string body,
                                       std::function<void(std::string)> reply) {
    forwarder->Serve(body, std::move(reply));
  });
  CAIRN_RETURN_IF_ERROR(node_->Start());
  CAIRN_RETURN_IF_ERROR(membership_->Start(node_.get()));
  if (compactor_) CAIRN_RETURN_IF_ERROR(compactor_->Start());
  CAIRN_RETURN_IF_ERROR(forwarder_->Start());
  CAIRN_RETURN_IF_ERROR(lease_keeper_->Start());
  http::ClientPortOptions options;
  // As etcd: gRPC accepts max-request-bytes plus room for the envelope; the
  // KV service then refuses requests over max-request-bytes with etcd's
  // message.
  options.grpc.max_recv_message_bytes = config_.max_request_bytes + 512 * 1024;
  for (const Url& u : config_.listen_client_urls) {
    auto port =
        std::make_unique<http::ClientPort>(loop_, &methods_, &routes_, options);
    std::string host = u.host == "localhost" ? "127.0.0.1" : u.host;
    CAIRN_RETURN_IF_ERROR(port->Listen(host, u.port));
    CAIRN_LOG(kInfo, "member", "serving client requests on %s",
              u.ToString().c_str());
    ports_.push_back(std::move(port));
  }
  CAIRN_LOG(kInfo, "member", "%s (%s) of cluster %s started",
            config_.name.c_str(), FormatId(node_->member_id()).c_str(),
            FormatId(node_->cluster_id()).c_str());
  return base::Status::OK();
}

void Member::Shutdown(std::function<void()> done) {
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  ports_open_ = ports_.size();
  auto stop_node = [this, finish] {
    watch_hub_->Close();
    membership_->Stop();
    node_->Stop([this, finish] {
      // After the node: it answered the compactor's pending proposal.
      if (compactor_) compactor_->Stop();
      lease_keeper_->Stop();
      forwarder_->Stop();
      if (!transport_) return (*finish)();
      transport_->Close([finish] { (*finish)(); });
    });
  };
  if (ports_.empty()) return stop_node();
  for (auto& port : ports_) {
    port->Shutdown(5000, [this, stop_node] {
      if (--ports_open_ == 0) stop_node();
    });
  }
}

}  // namespace server
