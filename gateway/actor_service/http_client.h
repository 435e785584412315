#pragma once
// A small HTTP/1.1 client for the sinks (Boost.Beast): POSTs over one kept-alive connection,
// reconnecting when the server closed it, every attempt bounded by a timeout. http:// only; a
// receiving system on another host sits behind the operator's TLS proxy (docs/ACTORS.md).
// Not thread-safe: one per sink worker.
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/status.h"

namespace gw::actor_service {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

// "http://host[:port][/path]"; InvalidArgument naming the URL otherwise.
Result<HttpUrl> parseHttpUrl(const std::string& url);

struct HttpResponse {
  unsigned status = 0;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(HttpUrl url) : url_(std::move(url)) {}

  // Unavailable (naming the server and what failed) when no response came in time.
  Result<HttpResponse> post(const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& content_type, const std::string& body,
                            std::chrono::milliseconds timeout);

 private:
  Result<HttpResponse> attempt(const std::vector<std::pair<std::string, std::string>>& headers,
                               const std::string& content_type, const std::string& body,
                               std::chrono::milliseconds timeout);

  HttpUrl url_;
  boost::asio::io_context io_;
  std::optional<boost::beast::tcp_stream> stream_;
};

}  // namespace gw::actor_service
