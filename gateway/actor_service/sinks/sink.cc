#include "gateway/actor_service/sinks/sink.h"

namespace gw::actor_service {

std::string idempotencyKey(const gateway::v1::SpooledMessage& message) {
  return message.gateway_key_id() + "-" + message.message().actor_id() + "-" +
         std::to_string(message.sequence());
}

DeliveryOutcome outcomeOfHttpStatus(unsigned status, const std::string& body) {
  if (status >= 200 && status < 300) return {DeliveryOutcome::Result::kDelivered, ""};
  const std::string detail =
      "HTTP " + std::to_string(status) + (body.empty() ? "" : ": " + body.substr(0, 200));
  if (status == 408 || status == 425 || status == 429 || status >= 500) {
    return {DeliveryOutcome::Result::kRetry, detail};
  }
  return {DeliveryOutcome::Result::kRefused, detail};
}

}  // namespace gw::actor_service
