#pragma once
// The ops endpoint (Boost.Beast, HTTP/1.1), on its own thread and io_context so that it still
// answers when the pipeline thread is stuck, and says so:
//   GET /healthz  200 "ok" | 503 + the problems (pipeline thread silent, stalled source or frame
//                 detector, disabled detector)
//   GET /readyz   200 | 503 (policy loaded, outbox accepting, not shutting down)
//   GET /metrics  Prometheus text format
//   GET /status   JSON; GET / the operator's status page
// Pipeline state is read by posting a collect function to the pipeline executor and waiting for
// it (bounded by `pipeline_timeout`); counters and histograms are read directly (thread-safe).
// Loopback by default: it tells whoever can reach it what the site runs, though never data.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <thread>

#include "gateway/core/counters.h"
#include "gateway/core/histograms.h"
#include "gateway/core/http_connection.h"
#include "gateway/core/status.h"
#include "gateway/ops/ops_inputs.h"

namespace gw::ops {

struct OpsServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9273;
  std::chrono::seconds stall_after{300};
  std::chrono::milliseconds pipeline_timeout{2000};
  std::string version;
};

class OpsServer {
 public:
  using Collect = std::function<GatewayStatus()>;  // runs on the pipeline executor

  OpsServer(OpsServerOptions options, const Counters& counters, const Histograms& histograms,
            boost::asio::any_io_executor pipeline, Collect collect, std::vector<Watch> watches);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // Binds and starts the ops thread; Unavailable (naming the address) if it cannot listen.
  Status start();
  // gatewayd's way to start it: `listen_override` (--ops-listen HOST:PORT; empty: none) replaces
  // the policy's address. Null when it cannot listen, logged and counted
  // (ops_listen_failures_total): the endpoint is for watching the gateway, and failing to bind it
  // must not stop delivery.
  static std::unique_ptr<OpsServer> startOrLog(OpsServerOptions options,
                                               const std::string& listen_override,
                                               Counters& counters, const Histograms& histograms,
                                               boost::asio::any_io_executor pipeline,
                                               Collect collect, std::vector<Watch> watches);
  // Idempotent; joins the ops thread.
  void stop();
  uint16_t port() const { return bound_port_; }
  // What a /healthz request would judge by, gathered on the ops thread; for the fleet's health
  // summary. Call from any thread but the pipeline's and the ops thread (it waits for both).
  OpsInputs snapshot();

  using Response = HttpResponse;
  // One request, on the ops thread (public for the unit test, which needs no socket).
  Response handle(const std::string& method, const std::string& target);

 private:
  void accept();
  void sampleLater();
  OpsInputs gather();

  OpsServerOptions options_;
  const Counters& counters_;
  const Histograms& histograms_;
  boost::asio::any_io_executor pipeline_;
  Collect collect_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sample_timer_;
  ProgressTracker tracker_;
  std::chrono::steady_clock::time_point started_;
  std::thread thread_;
  uint16_t bound_port_ = 0;
};

}  // namespace gw::ops
