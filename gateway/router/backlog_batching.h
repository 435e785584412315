#pragma once
// Batching that switches on by itself while the outbox has a backlog (decision 1350): the routes
// without a `batch` of their own send one message per reading while the broker keeps up, and
// batches while it does not, so a burst costs the MQTT client and the broker one message per batch
// instead of one per reading (per-message CPU is the limit, shared/measurements.md). Events are
// never batched. Resolved once by config/ from `gateway.backlog_batching`; read by BatchingStage.
#include <cstddef>

#include "gateway/pipeline/route.h"

namespace gw::router {

struct BacklogBatching {
  // On while more messages than this wait in the outbox; off again at half of it.
  size_t above = 200;
  pipeline::Route::Batch batch{100, std::chrono::milliseconds(20)};

  size_t offAt() const { return above / 2; }
};

}  // namespace gw::router
