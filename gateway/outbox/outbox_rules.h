#pragma once
// The outbox's rule for the policy's `gateway.outbox` sizes: one actor may not be allowed more
// than all of them together. config/ runs it on the options it resolved.
#include "gateway/core/problem_sink.h"
#include "gateway/outbox/segment_outbox.h"

namespace gw::outbox {

inline void checkOutboxOptions(const SegmentOutboxOptions& options, ProblemSink& check) {
  if (options.max_actor_bytes > options.max_total_bytes) {
    check.fail("gateway.outbox.max_actor_size", "max_actor_size must not exceed max_total_size");
  }
}

}  // namespace gw::outbox
