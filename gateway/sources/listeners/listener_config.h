#pragma once
#include <cstdint>
#include <string>

#include "gateway/sources/intake.h"

namespace gw::sources {

enum class WireFormat {
  kJsonLines,               // one JSON reading per line (json_reading.h)
  kLengthPrefixedProtobuf,  // 4-byte big-endian length + gateway.v1.Reading (TCP only)
  kSensorCommunityPush,     // airrohr HTTP push body (HTTP only)
};

struct ListenerConfig {
  std::string source_id;
  std::string bind_address = "127.0.0.1";  // loopback unless the operator opens it up
  uint16_t port = 0;                       // 0: any free port (tests); see boundPort()
  WireFormat format = WireFormat::kJsonLines;
  size_t max_message_bytes = size_t{16} * 1024;  // a datagram, a line, a frame or an HTTP body
  size_t max_connections = 64;                   // TCP and HTTP
  std::string http_path = "/data/v1/push";       // HTTP: the path the sensor firmware posts to
  GuardConfig guard;
};

}  // namespace gw::sources
