#pragma once
// Which MQTT version the actor's subscriber speaks, and its spelling in gatewayctl subscribe's
// --mqtt and lantaarn-actor's broker.mqtt_version. Apart from actor_subscriber.h so that config
// code can parse it without Paho.
#include <optional>
#include <string_view>

namespace gw::actor {

enum class MqttProtocol {
  kAuto,  // MQTT 5, or 3.1.1 when the broker refuses 5 at the first connect
  kV5,
  kV311,
};

// "auto", "5", "3.1.1"; nullopt for anything else.
inline std::optional<MqttProtocol> parseMqttProtocol(std::string_view name) {
  if (name == "auto") return MqttProtocol::kAuto;
  if (name == "5") return MqttProtocol::kV5;
  if (name == "3.1.1") return MqttProtocol::kV311;
  return std::nullopt;
}

}  // namespace gw::actor
