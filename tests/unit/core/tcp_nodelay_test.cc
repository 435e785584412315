// TCP_NODELAY on the sockets connected to a broker's port, found from outside (Paho does not hand
// its socket out): real loopback connections, the option read back from the kernel.
#include "gateway/core/tcp_nodelay.h"

#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace gw {
namespace {

using boost::asio::ip::tcp;

bool noDelay(tcp::socket& socket) {
  int value = 0;
  socklen_t len = sizeof value;
  EXPECT_EQ(getsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
  return value != 0;
}

TEST(TcpNoDelayTest, OnlyTheConnectionsToThatPortGetIt) {
  boost::asio::io_context io;
  tcp::acceptor broker(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  tcp::acceptor other(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  tcp::socket to_broker(io), to_other(io);
  to_broker.connect(broker.local_endpoint());
  to_other.connect(other.local_endpoint());
  tcp::socket accepted = broker.accept();  // its peer port is the client's, not the broker's
  ASSERT_FALSE(noDelay(to_broker));
  ASSERT_FALSE(noDelay(to_other));

  const auto url = "tcp://127.0.0.1:" + std::to_string(broker.local_endpoint().port());
  EXPECT_EQ(disableNagleTowardsBroker(url), 1);
  EXPECT_TRUE(noDelay(to_broker));
  EXPECT_FALSE(noDelay(to_other)) << "a connection to another port is left alone";
  EXPECT_FALSE(noDelay(accepted)) << "the listening side is not a connection to the broker";
}

TEST(TcpNoDelayTest, ThePortOfABrokerUrl) {
  EXPECT_EQ(brokerPort("tcp://127.0.0.1:1884"), 1884);
  EXPECT_EQ(brokerPort("ssl://broker.example:8884"), 8884);
  EXPECT_EQ(brokerPort("tcp://[::1]:18831"), 18831);
  EXPECT_EQ(brokerPort("tcp://broker.example"), 1883);
  EXPECT_EQ(brokerPort("mqtts://[::1]"), 8883);
  EXPECT_EQ(brokerPort("ws://broker.example/mqtt"), std::nullopt);
  EXPECT_EQ(brokerPort("broker.example:1883"), std::nullopt);
  EXPECT_EQ(brokerPort("tcp://host:http"), std::nullopt);
  EXPECT_EQ(brokerPort("tcp://host:0"), std::nullopt);
}

}  // namespace
}  // namespace gw
