#pragma once

// KvStateMachine: kvstore::Store behind the StateMachine seam. Entries carry
// encoded cairnpb::InternalRequests; outcomes carry encoded
// cairnpb::InternalResponses. Queries are InternalRequests holding a range.
//
// Thread safety: as StateMachine (the apply thread). The Store itself is
// thread-safe, so the server may also call its read-only lease queries from
// the loop.

#include <memory>

#include "kvstore/store.h"
#include "server/state_machine/state_machine.h"

namespace server {

class KvStateMachine final : public StateMachine {
 public:
  // `store` must outlive this object.
  explicit KvStateMachine(kvstore::Store* store) : store_(store) {}

  uint64_t AppliedIndex() const override;
  base::Status Apply(std::span<const CommittedEntry> entries,
                     std::vector<Outcome>* outcomes) override;
  Outcome Query(std::string_view request) override;
  base::Result<std::unique_ptr<PinnedSnapshot>> BeginSnapshot() override;
  base::Status RestoreSnapshot(const std::string& path) override;

 private:
  kvstore::Store* const store_;
};

}  // namespace server
