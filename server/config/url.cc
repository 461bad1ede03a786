#include "server/config/url.h"

#include <arpa/inet.h>

#include <charconv>

namespace server {
namespace {

base::Status UrlError(std::string_view text, std::string_view why) {
  std::string m = "parse \"";
  m += text;
  m += "\": ";
  m += why;
  return base::Status::InvalidArgument(std::move(m));
}

}  // namespace

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string Url::HostPort() const {
  std::string s;
  if (host.find(':') != std::string::npos) {
    s = "[" + host + "]";
  } else {
    s = host;
  }
  s += ":";
  s += std::to_string(port);
  return s;
}

std::string Url::ToString() const { return scheme + "://" + HostPort(); }

base::Result<Url> ParseUrl(std::string_view text) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    return UrlError(text, "missing scheme (want http://host:port)");
  }
  Url url;
  url.scheme = std::string(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    return UrlError(
        text, "unsupported scheme \"" + url.scheme + "\" (want http or https)");
  }
  std::string_view rest = text.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return UrlError(text, "a member URL takes no path");
  }
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return UrlError(text, "missing ']' in address");
    }
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (after.empty() || after.front() != ':') {
      return UrlError(text, "missing port in address");
    }
    port = after.substr(1);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return UrlError(text, "missing port in address");
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return UrlError(text, "too many colons in address");
    }
  }
  if (host.empty()) return UrlError(text, "missing host");
  unsigned value = 0;
  auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      value > 65535) {
    return UrlError(text, "invalid port \"" + std::string(port) + "\"");
  }
  url.host = std::string(host);
  url.port = static_cast<uint16_t>(value);
  return url;
}

base::Result<std::vector<Url>> ParseUrlList(std::string_view text) {
  std::vector<Url> urls;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : comma - start);
    if (item.empty()) {
      return base::Status::InvalidArgument("empty URL in list \"" +
                                           std::string(text) + "\"");
    }
    CAIRN_ASSIGN_OR_RETURN(Url url, ParseUrl(item));
    urls.push_back(std::move(url));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return urls;
}

std::string JoinUrls(const std::vector<Url>& urls) {
  std::string s;
  for (const Url& u : urls) {
    if (!s.empty()) s += ",";
    s += u.ToString();
  }
  return s;
}

}  // namespace server
