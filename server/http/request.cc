#include "server/http/request.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace server::http {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) !=
               std::string_view::npos;
  });
}

base::Status ParseRequestLine(std::string_view line, HttpRequest* req) {
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) {
    return base::Status::InvalidArgument("malformed HTTP request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty() || target.find(' ') != target.npos) {
    return base::Status::InvalidArgument("malformed HTTP request line");
  }
  if (version == "HTTP/1.1") {
    req->minor_version = 1;
  } else if (version == "HTTP/1.0") {
    req->minor_version = 0;
  } else {
    return base::Status::InvalidArgument("malformed HTTP version");
  }
  req->method = method;
  req->target = target;
  size_t q = target.find('?');
  req->path = target.substr(0, q);
  req->query = q == std::string_view::npos ? "" : target.substr(q + 1);
  return base::Status();
}

}  // namespace

std::optional<std::string_view> HttpRequest::Header(
    std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

bool HttpRequest::KeepAlive() const {
  std::string conn = Lower(Header("connection").value_or(""));
  if (minor_version == 0) return conn == "keep-alive";
  return conn != "close";
}

int HttpStatusForParseError(const base::Status& error) {
  switch (error.code()) {
    case base::StatusCode::kResourceExhausted:
      return error.message().find("header") != std::string::npos ? 431 : 413;
    case base::StatusCode::kUnimplemented:
      return 501;
    default:
      return 400;
  }
}

base::Status RequestParser::Next(HttpRequest* out, bool* complete) {
  *complete = false;
  // Tolerate stray CRLFs between requests (RFC 9112 section 2.2).
  size_t skip = 0;
  while (skip + 1 < buf_.size() && buf_[skip] == '\r' &&
         buf_[skip + 1] == '\n') {
    skip += 2;
  }
  if (skip > 0) buf_.erase(0, skip);
  size_t end = buf_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buf_.size() > limits_.max_header_bytes) {
      return base::Status::ResourceExhausted("request header too large");
    }
    // Refuse a bad request line as soon as it is complete, as Go's server
    // does, instead of waiting for a blank line that garbage never sends.
    size_t first_eol = buf_.find("\r\n");
    if (first_eol != std::string::npos) {
      HttpRequest probe;
      CAIRN_RETURN_IF_ERROR(
          ParseRequestLine(std::string_view(buf_.data(), first_eol), &probe));
    }
    return base::Status();
  }
  if (end > limits_.max_header_bytes) {
    return base::Status::ResourceExhausted("request header too large");
  }
  HttpRequest req;
  std::string_view head(buf_.data(), end);
  size_t eol = head.find("\r\n");
  CAIRN_RETURN_IF_ERROR(ParseRequestLine(head.substr(0, eol), &req));
  std::string_view rest =
      eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    size_t e = rest.find("\r\n");
    std::string_view line = rest.substr(0, e);
    rest =
        e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      return base::Status::InvalidArgument("malformed HTTP header");
    }
    req.headers.emplace_back(Lower(line.substr(0, colon)),
                             std::string(Trim(line.substr(colon + 1))));
  }
  if (req.Header("transfer-encoding").has_value()) {
    return base::Status::Unimplemented("chunked request bodies");
  }
  size_t body_len = 0;
  if (auto cl = req.Header("content-length")) {
    if (cl->empty() || cl->size() > 12 ||
        !std::all_of(cl->begin(), cl->end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return base::Status::InvalidArgument("bad Content-Length");
    }
    body_len = std::strtoull(std::string(*cl).c_str(), nullptr, 10);
    if (body_len > limits_.max_body_bytes) {
      return base::Status::ResourceExhausted("request body too large");
    }
  }
  size_t total = end + 4 + body_len;
  if (buf_.size() < total) {
    auto expect = req.Header("expect");
    if (expect.has_value() && Lower(*expect) == "100-continue" &&
        !continue_sent_) {
      continue_due_ = true;
      continue_sent_ = true;
    }
    return base::Status();
  }
  continue_sent_ = false;
  req.body = buf_.substr(end + 4, body_len);
  buf_.erase(0, total);
  *out = std::move(req);
  *complete = true;
  return base::Status();
}

}  // namespace server::http
