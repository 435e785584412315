#include "gateway/fleet/fleet_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>

#include "gateway/core/listen_socket.h"
#include "gateway/fleet/fleet_json.h"
#include "gateway/fleet/fleet_page.h"

namespace gw::fleet {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr auto kSessionDeadline = std::chrono::seconds(10);
}  // namespace

class FleetServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(FleetServer& owner, boost::asio::ip::tcp::socket socket)
      : owner_(owner), stream_(std::move(socket)) {}

  void start() { read(); }

 private:
  void read() {
    request_ = {};
    stream_.expires_after(kSessionDeadline);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->respond();
                     });
  }

  void respond() {
    Response r =
        owner_.handle(std::string(request_.method_string()), std::string(request_.target()));
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

  FleetServer& owner_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
};

FleetServer::FleetServer(FleetServerOptions options, Snapshot snapshot)
    : options_(std::move(options)), snapshot_(std::move(snapshot)), acceptor_(io_) {}

FleetServer::~FleetServer() { stop(); }

Status FleetServer::start() {
  GW_RETURN_IF_ERROR(listenOn(acceptor_, options_.host, options_.port, "fleet page"));
  bound_port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
  return okStatus();
}

void FleetServer::stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

void FleetServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(*this, std::move(socket))->start();
    accept();
  });
}

FleetServer::Response FleetServer::handle(const std::string& method, const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  if (path != "/" && path != "/fleet.json" && path != "/healthz") {
    return {404, "text/plain", "not found; try /, /fleet.json or /healthz\n"};
  }
  if (method != "GET" && method != "HEAD") return {405, "text/plain", "GET only\n"};
  const FleetView view = snapshot_();
  if (path == "/healthz") {
    return view.broker_connected ? Response{200, "text/plain", "ok\n"}
                                 : Response{503, "text/plain", "broker link down\n"};
  }
  const auto json = fleetJson(view.rows);
  if (path == "/fleet.json") return {200, "application/json", json.dump(2) + "\n"};
  return {200, "text/html; charset=utf-8", renderFleetPage(json, view.broker_connected)};
}

}  // namespace gw::fleet
