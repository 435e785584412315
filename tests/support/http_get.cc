#include "tests/support/http_get.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gw::testing {

namespace beast = boost::beast;
namespace http = beast::http;

std::optional<HttpReply> httpGet(int port, const std::string& target) {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<uint16_t>(port)),
                 ec);
  if (ec) return std::nullopt;
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request, ec);
  if (ec) return std::nullopt;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response, ec);
  if (ec) return std::nullopt;
  return HttpReply{static_cast<int>(response.result_int()),
                   std::string(response[http::field::content_type]), response.body()};
}

}  // namespace gw::testing
