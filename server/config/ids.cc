#include "server/config/ids.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

#include "base/check.h"

namespace server {
namespace {

uint64_t Sha1Prefix(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  CAIRN_CHECK(EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha1(),
                         nullptr) == 1);
  uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | digest[i];
  return id;
}

}  // namespace

uint64_t ComputeMemberId(const std::vector<Url>& peer_urls,
                         const std::string& cluster_token) {
  std::vector<std::string> urls;
  for (const Url& u : peer_urls) urls.push_back(u.ToString());
  std::sort(urls.begin(), urls.end());
  std::string b;
  for (const std::string& u : urls) b += u;
  b += cluster_token;
  return Sha1Prefix(b);
}

uint64_t ComputeClusterId(std::vector<uint64_t> member_ids) {
  std::sort(member_ids.begin(), member_ids.end());
  std::string b;
  for (uint64_t id : member_ids) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      b.push_back(static_cast<char>((id >> shift) & 0xff));
    }
  }
  return Sha1Prefix(b);
}

std::vector<InitialMemberId> InitialMemberIds(const ServerConfig& config) {
  std::vector<InitialMemberId> out;
  for (const InitialMember& m : config.initial_cluster) {
    out.push_back(InitialMemberId{
        m.name, ComputeMemberId(m.peer_urls, config.initial_cluster_token),
        m.peer_urls});
  }
  return out;
}

std::string FormatId(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace server
