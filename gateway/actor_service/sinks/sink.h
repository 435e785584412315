#pragma once
// Where verified messages go: the actor's own systems. A sink worker (sink_worker.h) hands each
// spooled message to deliver() in order and retries with backoff while it says kRetry, so a sink
// only has to say whether the receiving system took the message.
#include <string>

#include "gateway/v1/actor_state.pb.h"

namespace gw::actor_service {

struct DeliveryOutcome {
  enum class Result {
    kDelivered,  // taken (or nothing for this sink to do with it)
    kRetry,      // the receiving system is down or busy: the same message again later
    kRefused,    // the receiving system refuses this message for good (HTTP 4xx): dead letter
  };
  Result result = Result::kDelivered;
  std::string detail;  // why, for kRetry and kRefused
};

class Sink {
 public:
  virtual ~Sink() = default;
  // On the sink's worker thread, one message at a time, in spool order.
  virtual DeliveryOutcome deliver(const gateway::v1::SpooledMessage& message) = 0;
};

// The key a receiving system de-duplicates by: the same message always has the same key, also
// when the service delivers it again after a crash: gateway key id, stream (the actor) and
// sequence.
std::string idempotencyKey(const gateway::v1::SpooledMessage& message);

// For HTTP sinks: 2xx delivered; 408, 425, 429 and 5xx retried; other statuses refused.
DeliveryOutcome outcomeOfHttpStatus(unsigned status, const std::string& body);

}  // namespace gw::actor_service
