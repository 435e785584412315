#include "gateway/actor_service/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace gw::actor_service {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

}  // namespace

Result<HttpUrl> parseHttpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return invalidArgument("'" + url + "' is not an http:// URL");
  std::string rest = url.substr(kScheme.size());
  HttpUrl out;
  const auto slash = rest.find('/');
  if (slash != std::string::npos) {
    out.target = rest.substr(slash);
    rest.resize(slash);
  }
  if (!rest.empty() && rest.front() == '[') {  // [::1]:8080
    const auto close = rest.find(']');
    if (close == std::string::npos) return invalidArgument("'" + url + "': unclosed [");
    out.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return invalidArgument("'" + url + "': bad port");
      out.port = rest.substr(close + 2);
    }
  } else if (const auto colon = rest.find(':'); colon != std::string::npos) {
    out.host = rest.substr(0, colon);
    out.port = rest.substr(colon + 1);
  } else {
    out.host = rest;
  }
  if (out.host.empty() || out.port.empty() ||
      out.port.find_first_not_of("0123456789") != std::string::npos) {
    return invalidArgument("'" + url + "' has no host or a bad port");
  }
  return out;
}

Result<HttpResponse> HttpClient::post(
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& content_type, const std::string& body, std::chrono::milliseconds timeout) {
  const bool reused = stream_.has_value();
  auto result = attempt(headers, content_type, body, timeout);
  if (!result.ok() && reused) {
    // The server may have closed the kept-alive connection since the last request: one fresh
    // attempt before calling the sink down.
    result = attempt(headers, content_type, body, timeout);
  }
  return result;
}

Result<HttpResponse> HttpClient::attempt(
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& content_type, const std::string& body, std::chrono::milliseconds timeout) {
  const std::string where = url_.host + ":" + url_.port;
  beast::error_code ec;
  io_.restart();
  if (!stream_) {
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec) return unavailable("cannot resolve " + where + ": " + ec.message());
    stream_.emplace(io_);
    stream_->expires_after(timeout);
    stream_->async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    io_.run();
    if (ec) {
      stream_.reset();
      return unavailable("cannot connect to " + where + ": " + ec.message());
    }
    io_.restart();
  }
  http::request<http::string_body> request{http::verb::post, url_.target, 11};
  request.set(http::field::host, url_.host);
  request.set(http::field::content_type, content_type);
  request.set(http::field::user_agent, "lantaarn-actor");
  request.keep_alive(true);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();

  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  stream_->expires_after(timeout);
  http::async_write(*stream_, request, [&](beast::error_code e, size_t) {
    ec = e;
    if (e) return;
    http::async_read(*stream_, buffer, response, [&](beast::error_code r, size_t) { ec = r; });
  });
  io_.run();
  if (ec) {
    stream_.reset();
    return unavailable("POST to " + where + url_.target + " failed: " + ec.message());
  }
  if (!response.keep_alive()) stream_.reset();
  return HttpResponse{response.result_int(), std::move(response.body())};
}

}  // namespace gw::actor_service
