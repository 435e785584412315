#include "gateway/sources/listeners/http_push_listener.h"

#include <spdlog/spdlog.h>

#include "gateway/core/listen_socket.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "gateway/core/clock.h"
#include "gateway/sources/sensor/formats/sensor_community_push.h"

namespace gw::sources {

namespace beast = boost::beast;
namespace http = beast::http;

class HttpPushListener::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpPushListener& owner, boost::asio::ip::tcp::socket socket)
      : owner_(owner), stream_(std::move(socket)) {
    parser_.body_limit(owner_.config_.max_message_bytes);
    ++owner_.open_sessions_;
  }
  ~Session() { --owner_.open_sessions_; }

  void start() {
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onRead(ec); });
  }

 private:
  void onRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      owner_.intake_.reject(
          "oversized",
          "HTTP body over " + std::to_string(owner_.config_.max_message_bytes) + " bytes");
      return respond(http::status::payload_too_large, "body too large\n");
    }
    if (ec) {
      if (ec != beast::error::timeout && ec != http::error::end_of_stream) {
        owner_.intake_.reject("malformed", "HTTP: " + ec.message());
      }
      return;
    }
    const auto& request = parser_.get();
    if (request.target() != owner_.config_.http_path)
      return respond(http::status::not_found, "unknown path\n");
    if (request.method() != http::verb::post)
      return respond(http::status::method_not_allowed, "POST only\n");
    auto parsed = parseSensorCommunityPush(request.body(), owner_.config_.source_id, nowUnixMs());
    if (!parsed.ok()) {
      owner_.intake_.reject("malformed", parsed.status().message());
      return respond(http::status::bad_request, parsed.status().message() + "\n");
    }
    switch (owner_.intake_.deliver(*parsed, nowUnixMs())) {
      case IntakeResult::kPipelineFull:
        return respond(http::status::service_unavailable, "busy, retry later\n");
      case IntakeResult::kRejected:
        // Some values were unusable; the rest were accepted. Say so, but do not make the node
        // retry.
        return respond(http::status::ok, "accepted with rejected values\n");
      case IntakeResult::kAccepted:
        return respond(http::status::ok, "OK\n");
    }
  }

  void respond(http::status status, std::string body) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::content_type, "text/plain");
    response->set(http::field::connection, "close");
    response->body() = std::move(body);
    response->prepare_payload();
    http::async_write(
        stream_, *response, [self = shared_from_this(), response](beast::error_code, size_t) {
          beast::error_code ignored;
          self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
        });
  }

  HttpPushListener& owner_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
};

HttpPushListener::HttpPushListener(ListenerConfig config, boost::asio::any_io_executor executor,
                                   pipeline::ReadingSink& sink, Counters& counters)
    : config_(std::move(config)),
      executor_(std::move(executor)),
      acceptor_(executor_),
      intake_(config_.source_id, config_.guard, sink, counters) {}

void HttpPushListener::start() {
  bind_status_ = listenOn(acceptor_, config_.bind_address, config_.port, "HTTP");
  if (!bind_status_.ok()) {
    spdlog::error("Source cannot listen source={} error=\"{}\"", config_.source_id,
                  bind_status_.message());
    return;
  }
  bound_port_ = acceptor_.local_endpoint().port();
  spdlog::info("Source listening source={} http={}:{}{}", config_.source_id, config_.bind_address,
               bound_port_, config_.http_path);
  accept();
}

void HttpPushListener::stop() {
  boost::asio::post(executor_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

void HttpPushListener::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (open_sessions_ >= config_.max_connections) {
        intake_.reject("too_many_connections", "limit " + std::to_string(config_.max_connections));
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(*this, std::move(socket))->start();
      }
    }
    accept();
  });
}

}  // namespace gw::sources
