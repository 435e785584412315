#pragma once
// A minimal HTTP/1.1 GET for tests of the ops endpoint (Boost.Beast, loopback only).
#include <optional>
#include <string>

namespace gw::testing {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// nullopt when nothing answers on 127.0.0.1:port within a few seconds.
std::optional<HttpReply> httpGet(int port, const std::string& target);

}  // namespace gw::testing
