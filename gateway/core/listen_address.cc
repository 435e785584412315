#include "gateway/core/listen_address.h"

#include <boost/asio/ip/address.hpp>

namespace gw {

Result<ListenAddress> parseListenAddress(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return invalidArgument("listen address '" + text + "' must be HOST:PORT, e.g. 127.0.0.1:9273");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) {
    return invalidArgument("listen address '" + text + "': '" + host +
                           "' is not an IP address (names are not resolved)");
  }
  const std::string port_text = text.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
      std::stoul(port_text) > 65535) {
    return invalidArgument("listen address '" + text + "': port must be 0..65535");
  }
  return ListenAddress{host, static_cast<uint16_t>(std::stoul(port_text))};
}

}  // namespace gw
