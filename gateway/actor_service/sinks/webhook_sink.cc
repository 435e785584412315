#include "gateway/actor_service/sinks/webhook_sink.h"

#include "gateway/actor/actor_subscriber.h"

namespace gw::actor_service {

DeliveryOutcome WebhookSink::deliver(const gateway::v1::SpooledMessage& m) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Idempotency-Key", idempotencyKey(m)},
      {"X-Lantaarn-Gateway", m.gateway_key_id()},
      {"X-Lantaarn-Epoch", std::to_string(m.epoch())},
      {"X-Lantaarn-Sequence", std::to_string(m.sequence())},
      {"X-Lantaarn-Sent-Unix-Ms", std::to_string(m.sent_unix_ms())},
  };
  auto response = client_.post(headers, "application/json", actor::toJson(m.message()), timeout_);
  if (!response.ok()) return {DeliveryOutcome::Result::kRetry, response.status().message()};
  return outcomeOfHttpStatus(response->status, response->body);
}

}  // namespace gw::actor_service
