#include "server/membership/join.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "base/log.h"
#include "server/config/ids.h"
#include "server/peer/frame.h"
#include "server/wal/file_util.h"

namespace server::membership {
namespace {

using Clock = std::chrono::steady_clock;

base::Status Failed(const Url& url, const std::string& what) {
  return base::Status::Unavailable("member list from " + url.ToString() + ": " +
                                   what);
}

int64_t MsLeft(Clock::time_point deadline) {
  return std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                               Clock::now())
             .count());
}

// Waits until `fd` is ready for `events` or the deadline passes.
bool WaitFd(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    int rc = poll(&p, 1, static_cast<int>(MsLeft(deadline)));
    if (rc > 0) return true;
    if (rc == 0 || errno != EINTR) return false;
  }
}

// A non-blocking TCP connection to url's IP literal (or localhost).
base::Result<wal::ScopedFd> Dial(const Url& url, Clock::time_point deadline) {
  std::string host = url.host == "localhost" ? "127.0.0.1" : url.host;
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(url.port);
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(url.port);
    len = sizeof(*v6);
  } else {
    return Failed(url, "not an IP address or localhost");
  }
  wal::ScopedFd fd(
      socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return Failed(url, std::string("socket: ") + strerror(errno));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (errno != EINPROGRESS) {
      return Failed(url, std::string("connect: ") + strerror(errno));
    }
    if (!WaitFd(fd.get(), POLLOUT, deadline)) {
      return Failed(url, "connect: timed out");
    }
    int err = 0;
    socklen_t n = sizeof(err);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &n);
    if (err != 0) return Failed(url, std::string("connect: ") + strerror(err));
  }
  return fd;
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

std::vector<std::string> SortedUrls(const std::vector<Url>& urls) {
  std::vector<std::string> out;
  for (const Url& u : urls) out.push_back(u.ToString());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> SortedUrls(const cairnpb::Member& m) {
  std::vector<std::string> out;
  for (const std::string& s : m.peer_urls()) {
    auto u = ParseUrl(s);
    out.push_back(u.ok() ? u->ToString() : s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

base::Result<RemoteCluster> FetchMembers(const Url& url,
                                         const std::string& name,
                                         uint64_t timeout_ms) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(timeout_ms);
  CAIRN_ASSIGN_OR_RETURN(wal::ScopedFd fd, Dial(url, deadline));
  peer::Handshake h;
  h.kind = peer::StreamKind::kMembers;
  h.name = name;
  std::string out(peer::kPreface);
  peer::AppendFrame(peer::EncodeHandshake(h), &out);
  for (size_t done = 0; done < out.size();) {
    ssize_t n =
        send(fd.get(), out.data() + done, out.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN &&
               WaitFd(fd.get(), POLLOUT, deadline)) {
      continue;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return Failed(url, std::string("send: ") + strerror(errno));
    }
  }
  peer::FrameReader reader(64u << 20);
  std::vector<std::string> frames;
  char buf[16384];
  while (frames.size() < 2) {
    std::string body;
    if (reader.Next(&body)) {
      frames.push_back(std::move(body));
      if (frames.size() == 1) {
        auto v = peer::DecodeVerdict(frames[0]);
        if (!v.ok()) return Failed(url, v.status().message());
        if (v->code != peer::VerdictCode::kAccepted) {
          return Failed(url, "refused: " + v->message);
        }
      }
      continue;
    }
    if (!reader.status().ok()) return Failed(url, reader.status().message());
    ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      reader.Feed(std::string_view(buf, static_cast<size_t>(n)));
    } else if (n == 0) {
      return Failed(url, "connection closed before the member list");
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN || !WaitFd(fd.get(), POLLIN, deadline)) {
      return Failed(url, errno == EAGAIN
                             ? "timed out"
                             : std::string("recv: ") + strerror(errno));
    }
  }
  auto v = peer::DecodeVerdict(frames[0]);
  RemoteCluster rc;
  rc.cluster_id = v->cluster_id;
  rc.answered_by = v->member_id;
  if (!rc.membership.ParseFromString(frames[1])) {
    return Failed(url, "undecodable member list");
  }
  return rc;
}

base::Result<uint64_t> AssignJoiningId(const ServerConfig& config,
                                       const cairnpb::Membership& remote) {
  auto invalid = [&](const std::string& why) {
    std::vector<std::string> members;
    for (const cairnpb::Member& m : remote.members()) {
      members.push_back(FormatId(m.id()) + "=" + Join(SortedUrls(m), ","));
    }
    return base::Status::FailedPrecondition(
        "error validating peerURLs of the cluster's members [" +
        Join(members, " ") + "]: " + why);
  };
  if (static_cast<size_t>(remote.members_size()) !=
      config.initial_cluster.size()) {
    return invalid("member count is unequal");
  }
  uint64_t self = 0;
  std::set<size_t> matched;
  for (const cairnpb::Member& m : remote.members()) {
    std::vector<std::string> want = SortedUrls(m);
    bool found = false;
    for (size_t j = 0; j < config.initial_cluster.size(); ++j) {
      const InitialMember& local = config.initial_cluster[j];
      if (matched.count(j) != 0 || SortedUrls(local.peer_urls) != want) {
        continue;
      }
      matched.insert(j);
      found = true;
      if (local.name == config.name) self = m.id();
      break;
    }
    if (!found) {
      return invalid("PeerURLs: no match found for existing member (" +
                     FormatId(m.id()) + ", [" + Join(want, " ") + "])");
    }
  }
  if (self == 0) return invalid("this member is not in the cluster");
  return self;
}

base::Result<RemoteCluster> FetchCluster(const ServerConfig& config,
                                         uint64_t timeout_ms, uint64_t* self) {
  std::vector<Url> urls;
  for (const InitialMember& m : config.initial_cluster) {
    if (m.name == config.name) continue;
    urls.insert(urls.end(), m.peer_urls.begin(), m.peer_urls.end());
  }
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(timeout_ms);
  base::Status last = base::Status::FailedPrecondition(
      "cannot fetch cluster info from peer urls: could not retrieve cluster "
      "information from the given URLs");
  base::Status validation;
  do {
    for (const Url& url : urls) {
      auto rc = FetchMembers(url, config.name,
                             static_cast<uint64_t>(std::clamp<int64_t>(
                                 MsLeft(deadline), 1, 2000)));
      if (!rc.ok()) {
        CAIRN_LOG(kWarn, "membership", "%s", rc.status().message().c_str());
        continue;
      }
      if (self == nullptr) return rc;
      auto id = AssignJoiningId(config, rc->membership);
      if (id.ok()) {
        *self = *id;
        return rc;
      }
      // The member may not have applied the addition yet: ask another.
      validation = id.status();
      CAIRN_LOG(kWarn, "membership", "member list from %s: %s",
                url.ToString().c_str(), validation.message().c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (MsLeft(deadline) > 0);
  return validation.ok() ? last : validation;
}

}  // namespace server::membership
