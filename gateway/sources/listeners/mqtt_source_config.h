#pragma once
// The MQTT source's settings, resolved by config/ from `sources[].sensor.mqtt` (defaults in
// config/defaults.h and docs/POLICY.md).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/sources/intake.h"
#include "gateway/sources/sensor/formats/ttn_uplink.h"

namespace gw::sources {

enum class MqttPayloadFormat { kTtnV3Uplink, kJsonReading };

// kAuto: MQTT 5, and 3.1.1 from then on if the broker refuses 5.
enum class MqttProtocol { kAuto, kV5, kV311 };

struct MqttSourceConfig {
  std::string source_id;
  std::string broker_url;  // tcp://host:1883 or ssl://host:8883
  std::string client_id;   // stable, so the broker keeps the session while we are away
  std::string username;
  std::string password;
  std::vector<std::string> topics;
  MqttPayloadFormat format = MqttPayloadFormat::kTtnV3Uplink;
  TtnMapping ttn;
  size_t max_message_bytes = size_t{64} * 1024;
  GuardConfig guard;

  MqttProtocol protocol = MqttProtocol::kAuto;
  // Messages received and not yet parsed and offered; past it the source leaves the broker
  // until half is worked off, and the broker queues for its session meanwhile.
  size_t intake_buffer = 100'000;
  // MQTT 5: QoS 1 messages the broker may send before our acknowledgements catch up.
  uint16_t receive_maximum = 100;
  // MQTT 5: how long the broker keeps our session (and queues our messages) while we are away.
  // 3.1.1 has no such field: the broker keeps a clean_session=false session by its own rules.
  std::chrono::seconds session_expiry{24 * 3600};
  std::chrono::milliseconds reconnect_min{1000};  // doubling up to reconnect_max
  std::chrono::milliseconds reconnect_max{30'000};
};

}  // namespace gw::sources
