#include "tests/support/mqtt311_only_front.h"

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>

namespace gw::testing {

Mqtt311OnlyFront::Mqtt311OnlyFront(int broker_port)
    : broker_port_(broker_port),
      acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
      port_(acceptor_.local_endpoint().port()) {
  thread_ = std::thread([this] { acceptLoop(); });
}

Mqtt311OnlyFront::~Mqtt311OnlyFront() {
  // Blocking calls do not return when another thread closes their socket: wake the accept with
  // a connection of our own, and the pipes with a shutdown.
  stopping_ = true;
  boost::system::error_code ec;
  Socket wake(io_);
  wake.connect(acceptor_.local_endpoint(), ec);
  thread_.join();
  std::lock_guard lock(mutex_);
  for (auto& s : sockets_) s->shutdown(Socket::shutdown_both, ec);
  for (auto& t : pipes_) t.join();
}

void Mqtt311OnlyFront::acceptLoop() {
  while (!stopping_) {
    auto client = std::make_shared<Socket>(io_);
    boost::system::error_code ec;
    acceptor_.accept(*client, ec);
    if (ec || stopping_) return;
    handle(client);
  }
}

void Mqtt311OnlyFront::handle(const std::shared_ptr<Socket>& client) {
  // Fixed header, remaining length (one byte for any CONNECT Paho sends here), then the
  // protocol name "MQTT" (2 + 4 bytes) and the protocol level.
  std::array<uint8_t, 9> head{};
  boost::system::error_code ec;
  boost::asio::read(*client, boost::asio::buffer(head), ec);
  if (ec) return;
  if (head[8] == 5) {
    ++refused_v5_;
    const std::array<uint8_t, 4> connack{0x20, 0x02, 0x00, 0x01};
    boost::asio::write(*client, boost::asio::buffer(connack), ec);
    client->close(ec);
    return;
  }
  auto upstream = std::make_shared<Socket>(io_);
  upstream->connect(
      {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(broker_port_)}, ec);
  if (ec) return;
  boost::asio::write(*upstream, boost::asio::buffer(head), ec);
  std::lock_guard lock(mutex_);
  sockets_.push_back(client);
  sockets_.push_back(upstream);
  pipes_.emplace_back([client, upstream] { pipe(*client, *upstream); });
  pipes_.emplace_back([client, upstream] { pipe(*upstream, *client); });
}

void Mqtt311OnlyFront::pipe(Socket& from, Socket& to) {
  std::array<char, 4096> buffer{};
  boost::system::error_code ec;
  while (true) {
    const size_t n = from.read_some(boost::asio::buffer(buffer), ec);
    if (ec || boost::asio::write(to, boost::asio::buffer(buffer.data(), n), ec) != n || ec) break;
  }
  to.shutdown(Socket::shutdown_both, ec);
}

}  // namespace gw::testing
