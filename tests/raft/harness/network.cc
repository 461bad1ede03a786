#include "tests/raft/harness/network.h"

#include <deque>
#include <tuple>

#include "base/check.h"

namespace raft_test {

void Network::AddPeer(uint64_t id, std::unique_ptr<StateMachine> sm) {
  CAIRN_CHECK(id != 0 && sm != nullptr, "bad peer %llu",
              static_cast<unsigned long long>(id));
  peers_[id] = std::move(sm);
}

StateMachine* Network::peer(uint64_t id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::vector<uint64_t> Network::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, sm] : peers_) out.push_back(id);
  return out;
}

size_t Network::Send(std::vector<raftpb::Message> msgs) {
  constexpr size_t kMaxDeliveries = 1'000'000;
  std::deque<raftpb::Message> queue(std::make_move_iterator(msgs.begin()),
                                    std::make_move_iterator(msgs.end()));
  size_t delivered = 0;
  while (!queue.empty()) {
    raftpb::Message m = std::move(queue.front());
    queue.pop_front();
    StateMachine* p = peer(m.to);
    CAIRN_CHECK(p != nullptr, "message %s to unknown peer %llu",
                raftpb::MessageTypeName(m.type).c_str(),
                static_cast<unsigned long long>(m.to));
    CAIRN_CHECK(++delivered <= kMaxDeliveries,
                "network did not quiesce after %zu messages", kMaxDeliveries);
    trace_.push_back(m);
    (void)p->Step(m);  // Errors (e.g. dropped proposals) are outcomes.
    for (raftpb::Message& out : Filter(p->ReadMessages())) {
      queue.push_back(std::move(out));
    }
  }
  return delivered;
}

void Network::Drop(uint64_t from, uint64_t to, double perc) {
  CAIRN_CHECK(perc >= 0 && perc <= 1, "drop rate %f", perc);
  drop_[{from, to}] = perc;
}

void Network::Cut(uint64_t a, uint64_t b) {
  Drop(a, b, 1.0);
  Drop(b, a, 1.0);
}

void Network::Isolate(uint64_t id) {
  for (const auto& [other, sm] : peers_) {
    if (other != id) Cut(id, other);
  }
}

void Network::Ignore(raftpb::MessageType type) { ignore_.insert(type); }

void Network::DropType(uint64_t from, uint64_t to, raftpb::MessageType type) {
  drop_type_.insert({from, to, type});
}

void Network::SetMsgHook(std::function<bool(const raftpb::Message&)> hook) {
  hook_ = std::move(hook);
}

void Network::Recover() {
  drop_.clear();
  ignore_.clear();
  drop_type_.clear();
  hook_ = nullptr;
}

bool Network::ShouldDrop(const raftpb::Message& m) {
  // A node never asks the network to deliver a local election trigger.
  CAIRN_CHECK(m.type != raftpb::kMsgHup, "unexpected MsgHup on the network");
  if (ignore_.count(m.type) > 0) return true;
  if (drop_type_.count({m.from, m.to, m.type}) > 0) return true;
  auto it = drop_.find({m.from, m.to});
  if (it != drop_.end()) {
    double perc = it->second;
    if (perc >= 1.0) return true;
    if (perc > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < perc) {
      return true;
    }
  }
  return hook_ && !hook_(m);
}

std::vector<raftpb::Message> Network::Filter(
    std::vector<raftpb::Message> msgs) {
  std::vector<raftpb::Message> out;
  out.reserve(msgs.size());
  for (raftpb::Message& m : msgs) {
    if (ShouldDrop(m)) {
      ++dropped_;
      continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace raft_test
