#include "server/peer/frame.h"

#include "server/wal/coding.h"

namespace server::peer {
namespace {

using wal::GetFixed;
using wal::PutFixed;

constexpr size_t kMaxString = 4096;
constexpr size_t kMaxUrls = 64;

// A cursor over untrusted bytes; every read checks the remaining length.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Fixed(int n, uint64_t* v) {
    if (s_.size() < static_cast<size_t>(n)) return false;
    *v = GetFixed(s_.data(), n);
    s_.remove_prefix(static_cast<size_t>(n));
    return true;
  }
  bool String(std::string* out) {
    uint64_t n = 0;
    if (!Fixed(2, &n) || n > kMaxString || s_.size() < n) return false;
    out->assign(s_.substr(0, n));
    s_.remove_prefix(n);
    return true;
  }
  bool done() const { return s_.empty(); }

 private:
  std::string_view s_;
};

void PutString(std::string_view s, std::string* out) {
  s = s.substr(0, kMaxString);
  PutFixed(s.size(), 2, out);
  out->append(s);
}

base::Status Bad(const char* what, const char* field) {
  return base::Status::DataLoss(std::string("peer: bad ") + what + " (" +
                                field + ")");
}

}  // namespace

void AppendFrame(std::string_view body, std::string* out) {
  PutFixed(body.size(), 4, out);
  out->append(body);
}

std::string EncodeHandshake(const Handshake& h) {
  std::string out;
  PutFixed(static_cast<uint8_t>(h.kind), 1, &out);
  PutFixed(h.cluster_id, 8, &out);
  PutFixed(h.from, 8, &out);
  PutFixed(h.to, 8, &out);
  PutString(h.name, &out);
  size_t n = std::min(h.client_urls.size(), kMaxUrls);
  PutFixed(n, 2, &out);
  for (size_t i = 0; i < n; ++i) PutString(h.client_urls[i], &out);
  return out;
}

base::Result<Handshake> DecodeHandshake(std::string_view body) {
  Cursor c(body);
  Handshake h;
  uint64_t kind = 0, n = 0;
  if (!c.Fixed(1, &kind)) return Bad("handshake", "kind");
  if (kind != static_cast<uint8_t>(StreamKind::kMessages) &&
      kind != static_cast<uint8_t>(StreamKind::kSnapshot) &&
      kind != static_cast<uint8_t>(StreamKind::kRequests) &&
      kind != static_cast<uint8_t>(StreamKind::kMembers)) {
    return Bad("handshake", "unknown stream kind");
  }
  h.kind = static_cast<StreamKind>(kind);
  if (!c.Fixed(8, &h.cluster_id) || !c.Fixed(8, &h.from) ||
      !c.Fixed(8, &h.to)) {
    return Bad("handshake", "ids");
  }
  if (!c.String(&h.name)) return Bad("handshake", "name");
  if (!c.Fixed(2, &n) || n > kMaxUrls) return Bad("handshake", "client urls");
  h.client_urls.resize(n);
  for (std::string& u : h.client_urls) {
    if (!c.String(&u)) return Bad("handshake", "client url");
  }
  if (!c.done()) return Bad("handshake", "trailing bytes");
  return h;
}

std::string EncodeVerdict(const Verdict& v) {
  std::string out;
  PutFixed(static_cast<uint8_t>(v.code), 1, &out);
  PutFixed(v.cluster_id, 8, &out);
  PutFixed(v.member_id, 8, &out);
  PutString(v.message, &out);
  return out;
}

base::Result<Verdict> DecodeVerdict(std::string_view body) {
  Cursor c(body);
  Verdict v;
  uint64_t code = 0;
  if (!c.Fixed(1, &code) ||
      code > static_cast<uint8_t>(VerdictCode::kBadRequest)) {
    return Bad("verdict", "code");
  }
  v.code = static_cast<VerdictCode>(code);
  if (!c.Fixed(8, &v.cluster_id) || !c.Fixed(8, &v.member_id)) {
    return Bad("verdict", "ids");
  }
  if (!c.String(&v.message) || !c.done()) return Bad("verdict", "message");
  return v;
}

bool FrameReader::Next(std::string* body) {
  if (!status_.ok()) return false;
  if (buffered() < kFrameHeaderBytes) return false;
  uint64_t len = GetFixed(buf_.data() + pos_, 4);
  if (len > max_frame_bytes_) {
    status_ = base::Status::DataLoss("peer: frame of " + std::to_string(len) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(max_frame_bytes_));
    return false;
  }
  if (buffered() < kFrameHeaderBytes + len) return false;
  body->assign(buf_, pos_ + kFrameHeaderBytes, len);
  pos_ += kFrameHeaderBytes + len;
  // Compact once the consumed prefix dominates the buffer.
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > (1u << 16) && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return true;
}

std::string FrameReader::TakeRaw(size_t n) {
  n = std::min(n, buffered());
  std::string out = buf_.substr(pos_, n);
  pos_ += n;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  return out;
}

}  // namespace server::peer
