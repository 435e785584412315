#pragma once
// "127.0.0.1:9273", "[::1]:9273", "0.0.0.0:9273" -> address and port (the ops endpoint; the
// policy validator checks the same syntax).
#include <cstdint>
#include <string>

#include "gateway/core/status.h"

namespace gw {

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

Result<ListenAddress> parseListenAddress(const std::string& text);

}  // namespace gw
