#include "gateway/core/listen_socket.h"

namespace gw {

Status listenOn(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address, uint16_t port,
                const std::string& what) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(address, ec);
  const boost::asio::ip::tcp::endpoint endpoint(ip, port);
  if (!ec) acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec)
    return unavailable(what + " " + address + ":" + std::to_string(port) + ": " + ec.message());
  return okStatus();
}

}  // namespace gw
