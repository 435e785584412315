#pragma once
// The last few events the detectors emitted, as metadata for the operator's status page.
// Pipeline thread only (filled in Gateway::emit, copied into GatewayStatus there).
#include <deque>

#include "gateway/ops/gateway_status.h"
#include "gateway/v1/data.pb.h"

namespace gw::ops {

class RecentEvents {
 public:
  explicit RecentEvents(size_t capacity = 50) : capacity_(capacity) {}
  void record(const gateway::v1::Event& event);
  // Newest first.
  std::vector<EventSummary> list() const { return {events_.begin(), events_.end()}; }

 private:
  size_t capacity_;
  std::deque<EventSummary> events_;
};

}  // namespace gw::ops
