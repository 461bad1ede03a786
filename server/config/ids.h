#pragma once

// Member and cluster IDs, derived exactly as etcd derives them, so that a
// cairn member started with the same --initial-cluster and
// --initial-cluster-token as an etcd member gets the same IDs:
//
//   member ID  = first 8 bytes (big-endian) of SHA-1(sorted peer URLs
//                concatenated, then the cluster token)
//   cluster ID = first 8 bytes (big-endian) of SHA-1(the sorted member IDs,
//                each as 8 big-endian bytes)

#include <cstdint>
#include <string>
#include <vector>

#include "server/config/config.h"

namespace server {

uint64_t ComputeMemberId(const std::vector<Url>& peer_urls,
                         const std::string& cluster_token);

uint64_t ComputeClusterId(std::vector<uint64_t> member_ids);

// The initial cluster's members with their IDs, in --initial-cluster order.
struct InitialMemberId {
  std::string name;
  uint64_t id = 0;
  std::vector<Url> peer_urls;
};
std::vector<InitialMemberId> InitialMemberIds(const ServerConfig& config);

// Lower-case hex without leading zeros, as etcd prints IDs
// ("8e9e05c52164694d").
std::string FormatId(uint64_t id);

}  // namespace server
