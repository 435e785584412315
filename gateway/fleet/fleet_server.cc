#include "gateway/fleet/fleet_server.h"

#include <memory>

#include "gateway/core/http_connection.h"
#include "gateway/core/listen_socket.h"
#include "gateway/fleet/fleet_json.h"
#include "gateway/fleet/fleet_page.h"

namespace gw::fleet {

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
    if (!ec) {
      serveHttpConnection(std::move(socket),
                          [this](const std::string& method, const std::string& target) {
                            return handle(method, target);
                          });
    }
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
