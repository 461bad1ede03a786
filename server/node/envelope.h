#pragma once

// The node's envelope around a proposal's bytes in a raft entry:
//
//   byte 0     version, 0x01
//   bytes 1-8  request ID, little-endian u64 (unique per proposing member:
//              member-ID bits in the high 16, a counter below)
//   bytes 9-   the state machine's request
//
// The ID lets the member that proposed an entry find the client waiting for
// it when the entry is applied, wherever the entry was appended. Entries with
// empty data (a new leader's no-op) carry no envelope.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace server {

std::string WrapProposal(uint64_t request_id, std::string_view request);

struct UnwrappedProposal {
  uint64_t request_id = 0;
  std::string_view request;
};
// DATA_LOSS when the bytes are not an envelope (a corrupt log).
base::Result<UnwrappedProposal> UnwrapProposal(std::string_view data);

}  // namespace server
