#include "gateway/ops/recent_events.h"

namespace gw::ops {

void RecentEvents::record(const gateway::v1::Event& event) {
  // Only the fields an operator needs to see what happened; the rest (values, location) stays
  // with the actors the policy grants it to.
  EventSummary summary;
  summary.time_unix_ms = event.observed_unix_ms();
  summary.detector = event.detector_id();
  summary.kind = event.kind();
  summary.severity = gateway::v1::Severity_Name(event.severity());
  summary.source = event.source_id();
  summary.summary = event.summary();
  events_.push_front(std::move(summary));
  if (events_.size() > capacity_) events_.pop_back();
}

}  // namespace gw::ops
