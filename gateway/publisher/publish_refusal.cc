#include "gateway/publisher/publish_refusal.h"

namespace gw::publisher {

std::optional<PublishRefusal> classifyPubackReason(int reason_code) {
  switch (reason_code) {
    case 0x87:
      return PublishRefusal{false, "not_authorized", true};
    case 0x90:
      return PublishRefusal{false, "topic_invalid", true};
    case 0x95:
      return PublishRefusal{false, "too_large"};
    case 0x99:
      return PublishRefusal{false, "payload_format_invalid"};
    case 0x97:
      return PublishRefusal{true, "quota_exceeded"};
    case 0x91:
      return PublishRefusal{true, "packet_id_in_use"};
    case 0x80:
      return PublishRefusal{true, "unspecified"};
    case 0x83:
      return PublishRefusal{true, "implementation_specific"};
    case 0xff:
      return std::nullopt;  // Paho C++'s "no reason code" (MQTTPP_V3_CODE), not the broker's
    default:
      if (reason_code >= 0x80) return PublishRefusal{true, "reason_" + std::to_string(reason_code)};
      return std::nullopt;
  }
}

}  // namespace gw::publisher
