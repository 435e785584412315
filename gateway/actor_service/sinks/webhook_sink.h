#pragma once
// POSTs each message as its ActorMessage in proto3 JSON (application/json), with the headers a
// receiving system needs to de-duplicate and order it:
//   Idempotency-Key: <gateway key id>-<actor>-<sequence>   (the same on every re-delivery)
//   X-Lantaarn-Gateway, X-Lantaarn-Epoch, X-Lantaarn-Sequence, X-Lantaarn-Sent-Unix-Ms
// 2xx is delivered; 408/425/429/5xx, a refused connection or a timeout are retried; other
// statuses are refused for good (dead letter).
#include <chrono>

#include "gateway/actor_service/http_client.h"
#include "gateway/actor_service/sinks/sink.h"

namespace gw::actor_service {

class WebhookSink : public Sink {
 public:
  WebhookSink(HttpUrl url, std::chrono::milliseconds timeout)
      : client_(std::move(url)), timeout_(timeout) {}
  DeliveryOutcome deliver(const gateway::v1::SpooledMessage& message) override;

 private:
  HttpClient client_;
  std::chrono::milliseconds timeout_;
};

}  // namespace gw::actor_service
