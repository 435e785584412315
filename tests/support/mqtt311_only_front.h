#pragma once
// Stands in front of the real broker as one that predates MQTT 5 (none is installed here): a
// CONNECT with protocol level 5 gets a 3.1.1 CONNACK "unacceptable protocol version" and the
// connection is closed; any other connection is piped to Mosquitto unchanged. For the MQTT 5 →
// 3.1.1 fallbacks of the publisher and the actor's subscriber.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gw::testing {

class Mqtt311OnlyFront {
 public:
  explicit Mqtt311OnlyFront(int broker_port);
  ~Mqtt311OnlyFront();
  Mqtt311OnlyFront(const Mqtt311OnlyFront&) = delete;
  Mqtt311OnlyFront& operator=(const Mqtt311OnlyFront&) = delete;

  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  int refusedV5() const { return refused_v5_.load(); }

 private:
  using Socket = boost::asio::ip::tcp::socket;

  void acceptLoop();
  void handle(const std::shared_ptr<Socket>& client);
  static void pipe(Socket& from, Socket& to);

  int broker_port_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> refused_v5_{0};
  std::mutex mutex_;
  std::vector<std::shared_ptr<Socket>> sockets_;
  std::vector<std::thread> pipes_;
  std::thread thread_;
};

}  // namespace gw::testing
