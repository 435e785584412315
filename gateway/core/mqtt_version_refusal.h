#pragma once
// Whether a failed CONNECT means "the broker does not speak this MQTT version", for the three
// MQTT clients that fall back from 5 to 3.1.1 (publisher, MQTT source, actor subscriber). A broker
// that predates MQTT 5 answers a v5 CONNECT with 3.1.1's CONNACK return code 1; an MQTT 5 broker
// refusing the version uses reason code 0x84. Paho reports either as the return code, the latter
// also as the reason code.
namespace gw {

inline constexpr int kRefusedProtocolVersion311 = 1;
inline constexpr int kUnsupportedProtocolVersion5 = 0x84;

constexpr bool refusedProtocolVersion(int return_code, int reason_code) {
  return return_code == kRefusedProtocolVersion311 || return_code == kUnsupportedProtocolVersion5 ||
         reason_code == kUnsupportedProtocolVersion5;
}

}  // namespace gw
