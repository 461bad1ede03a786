#include "tests/e2e/peer_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace e2e {
namespace {

// Preface (8) + frame length (4) + kind (1) + cluster (8) + from (8) + to (8).
constexpr size_t kHandshakePrefix = 37;

uint64_t Le64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd, POLLOUT, 0};
      ::poll(&pfd, 1, 100);
      continue;
    }
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

struct PeerProxy::Conn {
  int client = -1;
  int server = -1;
  int target = 0;
  std::string head;  // Bytes read before the handshake was complete.
  bool parsed = false;
  uint64_t from = 0;
  uint64_t to = 0;
  ~Conn() {
    if (client >= 0) ::close(client);
    if (server >= 0) ::close(server);
  }
};

std::unique_ptr<PeerProxy> PeerProxy::Start(const std::vector<int>& listen,
                                            const std::vector<int>& targets,
                                            std::string* error) {
  std::unique_ptr<PeerProxy> p(new PeerProxy());
  p->targets_ = targets;
  for (int port : listen) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = Loopback(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(fd, 64) != 0) {
      *error = "proxy: bind 127.0.0.1:" + std::to_string(port) + ": " +
               std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    p->listen_fds_.push_back(fd);
  }
  p->thread_ = std::thread([raw = p.get()] { raw->Run(); });
  return p;
}

PeerProxy::~PeerProxy() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (int fd : listen_fds_) ::close(fd);
}

void PeerProxy::Isolate(uint64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  isolated_.insert(id);
}

void PeerProxy::Heal() {
  std::lock_guard<std::mutex> l(mu_);
  isolated_.clear();
}

bool PeerProxy::Blocked(uint64_t from, uint64_t to) {
  std::lock_guard<std::mutex> l(mu_);
  return isolated_.count(from) != 0 || isolated_.count(to) != 0;
}

void PeerProxy::Run() {
  std::vector<std::unique_ptr<Conn>> conns;
  char buf[64 * 1024];
  while (!stop_) {
    std::vector<pollfd> fds;
    for (int fd : listen_fds_) fds.push_back({fd, POLLIN, 0});
    for (auto& c : conns) {
      fds.push_back({c->client, POLLIN, 0});
      if (c->server >= 0) fds.push_back({c->server, POLLIN, 0});
    }
    ::poll(fds.data(), fds.size(), 20);
    for (size_t i = 0; i < listen_fds_.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      int cfd = ::accept(listen_fds_[i], nullptr, nullptr);
      if (cfd < 0) continue;
      auto c = std::make_unique<Conn>();
      c->client = cfd;
      c->target = targets_[i];
      conns.push_back(std::move(c));
    }
    // Relay what is readable; drop closed and blocked connections.
    size_t k = listen_fds_.size();
    std::vector<std::unique_ptr<Conn>> keep;
    for (auto& c : conns) {
      bool alive = true;
      short crev = 0, srev = 0;
      if (k < fds.size() && fds[k].fd == c->client) crev = fds[k++].revents;
      if (c->server >= 0 && k < fds.size() && fds[k].fd == c->server) {
        srev = fds[k++].revents;
      }
      if (crev & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::recv(c->client, buf, sizeof buf, 0);
        if (n <= 0) {
          alive = false;
        } else if (!c->parsed) {
          c->head.append(buf, static_cast<size_t>(n));
          if (c->head.size() >= kHandshakePrefix) {
            c->parsed = true;
            c->from = Le64(c->head.data() + 21);
            c->to = Le64(c->head.data() + 29);
            if (Blocked(c->from, c->to)) {
              ++refused_;
              alive = false;
            } else {
              c->server = ::socket(AF_INET, SOCK_STREAM, 0);
              sockaddr_in a = Loopback(c->target);
              int one = 1;
              ::setsockopt(c->server, IPPROTO_TCP, TCP_NODELAY, &one,
                           sizeof one);
              alive = ::connect(c->server, reinterpret_cast<sockaddr*>(&a),
                                sizeof a) == 0 &&
                      WriteAll(c->server, c->head.data(), c->head.size());
              if (alive) ++relayed_;
            }
          }
        } else {
          alive = WriteAll(c->server, buf, static_cast<size_t>(n));
        }
      }
      if (alive && c->server >= 0 && (srev & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = ::recv(c->server, buf, sizeof buf, 0);
        alive = n > 0 && WriteAll(c->client, buf, static_cast<size_t>(n));
      }
      if (alive && c->parsed && Blocked(c->from, c->to)) alive = false;
      if (alive) keep.push_back(std::move(c));
    }
    conns = std::move(keep);
  }
}

}  // namespace e2e
