#pragma once
#include <boost/asio/ip/tcp.hpp>

#include <string>

#include "gateway/core/status.h"

namespace gw {

// Opens, binds (with SO_REUSEADDR) and listens; Unavailable names `what`, the address and the
// OS error. Shared by the TCP and HTTP listeners and the ops endpoint.
Status listenOn(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address, uint16_t port,
                const std::string& what);

}  // namespace gw
