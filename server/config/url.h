#pragma once

// URLs as the member flags take them: "http://127.0.0.1:2379". Only the
// scheme, host and port matter to a member; a path is refused.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace server {

struct Url {
  std::string scheme;  // "http" or "https".
  std::string host;    // An IP literal or a name; IPv6 without brackets.
  uint16_t port = 0;

  // "http://127.0.0.1:2379"; IPv6 hosts get brackets back.
  std::string ToString() const;
  // "127.0.0.1:2379" (brackets for IPv6).
  std::string HostPort() const;
  friend bool operator==(const Url&, const Url&) = default;
};

// Parses one URL. Errors name the URL and what is wrong with it, as etcd's do
// ("parse \"http//x\": missing port in address").
base::Result<Url> ParseUrl(std::string_view text);

// Parses a comma-separated list ("http://a:1,http://b:2"). Empty items are
// refused; an empty list is an error.
base::Result<std::vector<Url>> ParseUrlList(std::string_view text);

// "http://a:1,http://b:2".
std::string JoinUrls(const std::vector<Url>& urls);

// True when host is an IPv4 or IPv6 literal (what a listen URL must hold,
// "localhost" apart).
bool IsIpLiteral(const std::string& host);

}  // namespace server
