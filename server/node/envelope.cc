#include "server/node/envelope.h"

namespace server {
namespace {
constexpr char kVersion = 0x01;
constexpr size_t kHeader = 9;
}  // namespace

std::string WrapProposal(uint64_t request_id, std::string_view request) {
  std::string out;
  out.reserve(kHeader + request.size());
  out.push_back(kVersion);
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((request_id >> (8 * i)) & 0xff));
  }
  out.append(request);
  return out;
}

base::Result<UnwrappedProposal> UnwrapProposal(std::string_view data) {
  if (data.size() < kHeader || data[0] != kVersion) {
    return base::Status::DataLoss("raft entry is not a cairn proposal (" +
                                  std::to_string(data.size()) + " bytes)");
  }
  UnwrappedProposal p;
  for (int i = 0; i < 8; ++i) {
    p.request_id |= static_cast<uint64_t>(static_cast<uint8_t>(data[1 + i]))
                    << (8 * i);
  }
  p.request = data.substr(kHeader);
  return p;
}

}  // namespace server
