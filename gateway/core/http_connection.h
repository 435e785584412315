#pragma once
// One HTTP/1.1 connection of a small loopback endpoint (the ops endpoint, the fleet page), served
// with Boost.Beast on the io_context the socket belongs to: requests one after another while the
// client keeps the connection alive, each answered by `handler`, never cached (the answers are
// live state), each read bounded by a deadline so an idle client cannot hold a session forever.
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>

namespace gw {

struct HttpResponse {
  unsigned status = 200;
  std::string content_type;
  std::string body;
};

// Called on the socket's io_context thread for each request.
using HttpHandler =
    std::function<HttpResponse(const std::string& method, const std::string& target)>;

// Starts serving `socket`; the connection keeps itself alive until the client leaves.
void serveHttpConnection(boost::asio::ip::tcp::socket socket, HttpHandler handler);

}  // namespace gw
