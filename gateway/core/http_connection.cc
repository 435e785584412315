#include "gateway/core/http_connection.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>

namespace gw {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto kReadDeadline = std::chrono::seconds(10);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, HttpHandler handler)
      : stream_(std::move(socket)), handler_(std::move(handler)) {}

  void read() {
    request_ = {};
    stream_.expires_after(kReadDeadline);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->respond();
                     });
  }

 private:
  void respond() {
    HttpResponse r =
        handler_(std::string(request_.method_string()), std::string(request_.target()));
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), request_.version());
    response->set(http::field::content_type, r.content_type);
    response->set(http::field::cache_control, "no-store");
    response->keep_alive(request_.keep_alive());
    response->body() = std::move(r.body);
    response->prepare_payload();
    http::async_write(
        stream_, *response, [self = shared_from_this(), response](beast::error_code ec, size_t) {
          if (ec) return;
          if (response->keep_alive()) return self->read();
          beast::error_code ignored;
          self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
        });
  }

  beast::tcp_stream stream_;
  HttpHandler handler_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
};

}  // namespace

void serveHttpConnection(boost::asio::ip::tcp::socket socket, HttpHandler handler) {
  std::make_shared<Connection>(std::move(socket), std::move(handler))->read();
}

}  // namespace gw
