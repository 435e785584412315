#include "tests/support/http_receiver.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>

#include <algorithm>
#include <cctype>

namespace gw::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

}  // namespace

// One connection: requests answered in turn while the client keeps it alive.
class ReceiverSession : public std::enable_shared_from_this<ReceiverSession> {
 public:
  ReceiverSession(tcp::socket socket, HttpReceiver& owner)
      : stream_(std::move(socket)), owner_(owner) {}

  void read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->answer();
                     });
  }

 private:
  void answer() {
    const unsigned status = owner_.status_.load();
    if (status >= 200 && status < 300) {
      RecordedRequest r;
      r.target = std::string(request_.target());
      for (const auto& field : request_) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](char c) {
          return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        });
        r.headers[name] = std::string(field.value());
      }
      r.body = request_.body();
      owner_.record(std::move(r));
    }
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), request_.version());
    response->keep_alive(request_.keep_alive());
    response->body() = status < 300 ? "ok" : "try later";
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        if (!ec && response->keep_alive()) self->read();
                      });
  }

  beast::tcp_stream stream_;
  HttpReceiver& owner_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
};

HttpReceiver::HttpReceiver() { start(); }

HttpReceiver::~HttpReceiver() { stop(); }

void HttpReceiver::start() {
  io_ = std::make_unique<boost::asio::io_context>();
  acceptor_ = std::make_unique<tcp::acceptor>(*io_);
  const tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"),
                               static_cast<uint16_t>(port_));
  acceptor_->open(endpoint.protocol());
  // Not inherited by the brokers and tools the test starts later: a child holding the
  // listening socket would keep the port taken after stop().
  ::fcntl(acceptor_->native_handle(), F_SETFD, FD_CLOEXEC);
  acceptor_->set_option(tcp::acceptor::reuse_address(true));
  acceptor_->bind(endpoint);
  acceptor_->listen();
  port_ = acceptor_->local_endpoint().port();
  accept();
  thread_ = std::thread([io = io_.get()] { io->run(); });
}

void HttpReceiver::stop() {
  if (!thread_.joinable()) return;
  io_->stop();
  thread_.join();
  acceptor_.reset();  // closes the port and every open connection with the io_context
  io_.reset();
}

void HttpReceiver::accept() {
  acceptor_->async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    std::make_shared<ReceiverSession>(std::move(socket), *this)->read();
    accept();
  });
}

void HttpReceiver::record(RecordedRequest request) {
  std::lock_guard lock(mutex_);
  if (handler_) {
    handler_(std::move(request));
    return;
  }
  requests_.push_back(std::move(request));
}

void HttpReceiver::setHandler(std::function<void(RecordedRequest&&)> handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<RecordedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t HttpReceiver::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

}  // namespace gw::testing
