#include "server/grpc/framing.h"

#include "base/check.h"

namespace server::grpc {

namespace {
constexpr size_t kPrefixBytes = 5;

uint32_t ReadBigEndian32(const char* p) {
  auto b = [p](int i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(p[i]));
  };
  return (b(1) << 24) | (b(2) << 16) | (b(3) << 8) | b(4);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::string EncodeMessage(std::string_view message) {
  CAIRN_CHECK(message.size() <= UINT32_MAX, "message of %zu bytes",
              message.size());
  auto n = static_cast<uint32_t>(message.size());
  std::string out;
  out.reserve(kPrefixBytes + message.size());
  out.push_back('\0');
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(message);
  return out;
}

MessageReader::MessageReader(size_t max_message_bytes, std::string encoding)
    : max_(max_message_bytes), encoding_(std::move(encoding)) {}

base::Status MessageReader::Push(std::string_view data,
                                 std::vector<std::string>* out) {
  while (!data.empty()) {
    if (buf_.size() < kPrefixBytes) {
      size_t take = std::min(kPrefixBytes - buf_.size(), data.size());
      buf_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (buf_.size() < kPrefixBytes) break;
      auto flag = static_cast<uint8_t>(buf_[0]);
      uint32_t len = ReadBigEndian32(buf_.data());
      if (flag > 1) {
        return base::Status::Internal("grpc: invalid message compressed flag " +
                                      std::to_string(flag));
      }
      if (flag == 1) {
        if (encoding_.empty() || encoding_ == "identity") {
          return base::Status::Internal(
              "grpc: compressed flag set with identity or empty encoding");
        }
        return base::Status::Unimplemented(
            "grpc: Decompressor is not installed for grpc-encoding \"" +
            encoding_ + "\"");
      }
      if (len > max_) {
        return base::Status::ResourceExhausted(
            "grpc: received message larger than max (" + std::to_string(len) +
            " vs. " + std::to_string(max_) + ")");
      }
      buf_.reserve(kPrefixBytes + len);
    }
    size_t want = kPrefixBytes + ReadBigEndian32(buf_.data()) - buf_.size();
    size_t take = std::min(want, data.size());
    buf_.append(data.substr(0, take));
    data.remove_prefix(take);
    if (take == want) {
      out->push_back(buf_.substr(kPrefixBytes));
      buf_.clear();
    }
  }
  return base::Status();
}

std::optional<uint64_t> ParseGrpcTimeoutMs(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  uint64_t n = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  // Nanoseconds per unit, then round up to milliseconds.
  uint64_t ms = 0;
  switch (value.back()) {
    case 'H':
      ms = n * 3600 * 1000;
      break;
    case 'M':
      ms = n * 60 * 1000;
      break;
    case 'S':
      ms = n * 1000;
      break;
    case 'm':
      ms = n;
      break;
    case 'u':
      ms = (n + 999) / 1000;
      break;
    case 'n':
      ms = (n + 999999) / 1000000;
      break;
    default:
      return std::nullopt;
  }
  return ms;
}

base::Status UnmarshalError(std::string_view detail) {
  return base::Status::Internal("grpc: error unmarshalling request: " +
                                std::string(detail));
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto b = static_cast<uint8_t>(c);
    if (b < 0x20 || b > 0x7E || c == '%') {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace server::grpc
