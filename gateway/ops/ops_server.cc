#include "gateway/ops/ops_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>

#include "gateway/core/http_connection.h"
#include "gateway/core/listen_address.h"
#include "gateway/core/listen_socket.h"
#include "gateway/ops/prometheus_text.h"
#include "gateway/ops/status_json.h"
#include "gateway/ops/status_page.h"

namespace gw::ops {

namespace {
constexpr auto kSampleEvery = std::chrono::seconds(1);

std::string verdictBody(const Verdict& v, const char* ok_text) {
  std::string body = v.ok ? std::string(ok_text) + "\n" : std::string();
  for (const auto& p : v.problems) body += p + "\n";
  for (const auto& n : v.notes) body += "note: " + n + "\n";
  return body;
}
}  // namespace

OpsServer::OpsServer(OpsServerOptions options, const Counters& counters,
                     const Histograms& histograms, boost::asio::any_io_executor pipeline,
                     Collect collect, std::vector<Watch> watches)
    : options_(std::move(options)),
      counters_(counters),
      histograms_(histograms),
      pipeline_(std::move(pipeline)),
      collect_(std::move(collect)),
      acceptor_(io_),
      sample_timer_(io_),
      tracker_(std::move(watches), options_.stall_after, std::chrono::steady_clock::now()),
      started_(std::chrono::steady_clock::now()) {}

OpsServer::~OpsServer() { stop(); }

Status OpsServer::start() {
  GW_RETURN_IF_ERROR(listenOn(acceptor_, options_.host, options_.port, "ops endpoint"));
  bound_port_ = acceptor_.local_endpoint().port();
  spdlog::info(
      "Ops endpoint listening on http://{}:{}/ (healthz, readyz, metrics, status)",
      options_.host.find(':') == std::string::npos ? options_.host : "[" + options_.host + "]",
      bound_port_);
  tracker_.sample(counters_.snapshot(), std::chrono::steady_clock::now());
  accept();
  sampleLater();
  thread_ = std::thread([this] { io_.run(); });
  return okStatus();
}

std::unique_ptr<OpsServer> OpsServer::startOrLog(OpsServerOptions options,
                                                 const std::string& listen_override,
                                                 Counters& counters, const Histograms& histograms,
                                                 boost::asio::any_io_executor pipeline,
                                                 Collect collect, std::vector<Watch> watches) {
  if (!listen_override.empty()) {
    auto address = parseListenAddress(listen_override);
    if (!address.ok()) {
      spdlog::error("Ops endpoint disabled error=\"{}\"", address.status().message());
      counters.add("ops_listen_failures_total");
      return nullptr;
    }
    options.host = address->host;
    options.port = address->port;
  }
  auto server =
      std::make_unique<OpsServer>(std::move(options), counters, histograms, std::move(pipeline),
                                  std::move(collect), std::move(watches));
  if (Status s = server->start(); !s.ok()) {
    spdlog::error("Ops endpoint cannot listen error=\"{}\"", s.message());
    counters.add("ops_listen_failures_total");
    return nullptr;
  }
  return server;
}

void OpsServer::stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

void OpsServer::accept() {
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

void OpsServer::sampleLater() {
  sample_timer_.expires_after(kSampleEvery);
  sample_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    tracker_.sample(counters_.snapshot(), std::chrono::steady_clock::now());
    sampleLater();
  });
}

OpsInputs OpsServer::snapshot() {
  auto promise = std::make_shared<std::promise<OpsInputs>>();
  auto future = promise->get_future();
  boost::asio::post(io_, [this, promise] { promise->set_value(gather()); });
  // Bounded: a stopped ops thread never runs the gather (the shared promise outlives us then).
  if (future.wait_for(options_.pipeline_timeout * 2) != std::future_status::ready) return {};
  return future.get();
}

OpsInputs OpsServer::gather() {
  OpsInputs in;
  auto promise = std::make_shared<std::promise<GatewayStatus>>();
  auto future = promise->get_future();
  // The promise is shared: if the pipeline runs this after we gave up waiting, it still exists.
  boost::asio::post(pipeline_, [promise, collect = collect_] { promise->set_value(collect()); });
  if (future.wait_for(options_.pipeline_timeout) == std::future_status::ready) {
    in.status = future.get();
  }
  const auto now = std::chrono::steady_clock::now();
  in.counters = counters_.snapshot();
  in.histograms = histograms_.snapshot();
  in.watches = tracker_.watches();
  in.progress = tracker_.progress(now);
  in.stall_after = tracker_.stallAfter();
  in.version = options_.version;
  in.uptime_seconds = std::chrono::duration<double>(now - started_).count();
  return in;
}

OpsServer::Response OpsServer::handle(const std::string& method, const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  if (path != "/" && path != "/healthz" && path != "/readyz" && path != "/metrics" &&
      path != "/status") {
    return {404, "text/plain", "not found; try /, /healthz, /readyz, /metrics or /status\n"};
  }
  if (method != "GET" && method != "HEAD") return {405, "text/plain", "GET only\n"};
  const OpsInputs in = gather();
  if (path == "/healthz") {
    const Verdict v = evaluateHealth(in);
    return {v.ok ? 200u : 503u, "text/plain", verdictBody(v, "ok")};
  }
  if (path == "/readyz") {
    const Verdict v = evaluateReadiness(in);
    return {v.ok ? 200u : 503u, "text/plain", verdictBody(v, "ready")};
  }
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", renderPrometheus(in)};
  }
  if (path == "/status") return {200, "application/json", statusJson(in).dump(2) + "\n"};
  return {200, "text/html; charset=utf-8", renderStatusPage(statusJson(in))};
}

}  // namespace gw::ops
