#include "gateway/actor_service/health_endpoint.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>

#include "gateway/core/listen_socket.h"

namespace gw::actor_service {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

// One connection: read a request, answer it, repeat while the client keeps it alive; 10 s to
// send each request, so an idle or slow client cannot hold the endpoint.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HealthEndpoint::Respond& respond)
      : stream_(std::move(socket)), respond_(respond) {}

  void read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->answer();
                     });
  }

 private:
  void answer() {
    HttpAnswer answer;
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      answer = {405, "text/plain; charset=utf-8", "GET only\n"};
    } else {
      answer = respond_(std::string(request_.target()));
    }
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.status), request_.version());
    response->set(http::field::content_type, answer.content_type);
    response->keep_alive(request_.keep_alive());
    response->body() = std::move(answer.body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        if (!ec && response->keep_alive()) self->read();
                      });
  }

  beast::tcp_stream stream_;
  const HealthEndpoint::Respond& respond_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
};

}  // namespace

HealthEndpoint::HealthEndpoint(std::string host, uint16_t port, Respond respond)
    : host_(std::move(host)), port_(port), respond_(std::move(respond)), acceptor_(io_) {}

HealthEndpoint::~HealthEndpoint() { stop(); }

Status HealthEndpoint::start() {
  if (Status s = listenOn(acceptor_, host_, port_, "health endpoint"); !s.ok()) return s;
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
  return okStatus();
}

void HealthEndpoint::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed by stop()
    std::make_shared<Session>(std::move(socket), respond_)->read();
    accept();
  });
}

void HealthEndpoint::stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  io_.stop();
  thread_.join();
}

}  // namespace gw::actor_service
