#pragma once
// `gatewayctl fleet serve`'s HTTP endpoint (Boost.Beast, HTTP/1.1, on its own thread and
// io_context, as gateway/ops/ops_server.h):
//   GET /            the fleet page (fleet_page.h): the status table, refreshing itself
//   GET /fleet.json  the same JSON array as `fleet status --json` (fleet_json.h)
//   GET /healthz     200 "ok" while subscribed to the broker, 503 while the link is down: about
//                    this server's view of the fleet, not the fleet's health (that is the table)
// Loopback by default: it tells whoever can reach it the state of every site.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/core/http_connection.h"
#include "gateway/core/status.h"
#include "gateway/fleet/fleet_table.h"

namespace gw::fleet {

struct FleetServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9274;  // beside the ops endpoint's 9273; 0: any free port
};

// What a request shows: the table now and whether the broker link is up.
struct FleetView {
  std::vector<SiteRow> rows;
  bool broker_connected = false;
};

class FleetServer {
 public:
  // Runs on the server's thread, once per request; must be thread-safe (FleetWatcher is).
  using Snapshot = std::function<FleetView()>;

  FleetServer(FleetServerOptions options, Snapshot snapshot);
  ~FleetServer();
  FleetServer(const FleetServer&) = delete;
  FleetServer& operator=(const FleetServer&) = delete;

  // Binds and starts the server's thread; Unavailable (naming the address) if it cannot listen.
  Status start();
  // Idempotent; joins the server's thread.
  void stop();
  uint16_t port() const { return bound_port_; }

  using Response = HttpResponse;
  // One request (public for a test that needs no socket).
  Response handle(const std::string& method, const std::string& target);

 private:
  void accept();

  FleetServerOptions options_;
  Snapshot snapshot_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  uint16_t bound_port_ = 0;
};

}  // namespace gw::fleet
