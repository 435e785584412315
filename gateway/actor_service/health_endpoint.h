#pragma once
// /healthz and /metrics over HTTP/1.1 (Boost.Beast) on a thread of its own, so it answers while
// deliveries or sinks are stuck, and says so. What it answers comes from `respond`, called on
// the endpoint's thread (it must read only thread-safe state).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>
#include <thread>

#include "gateway/core/status.h"

namespace gw::actor_service {

struct HttpAnswer {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HealthEndpoint {
 public:
  using Respond = std::function<HttpAnswer(const std::string& target)>;

  HealthEndpoint(std::string host, uint16_t port, Respond respond);
  ~HealthEndpoint();
  HealthEndpoint(const HealthEndpoint&) = delete;
  HealthEndpoint& operator=(const HealthEndpoint&) = delete;

  // Unavailable, naming the address, when it cannot listen.
  Status start();
  void stop();
  uint16_t port() const { return port_; }

 private:
  void accept();

  std::string host_;
  uint16_t port_;
  Respond respond_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace gw::actor_service
