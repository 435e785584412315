#include "gateway/detectors/builtin/threshold/threshold_detector.h"

#include <cstdio>

namespace gw::detectors {

ThresholdDetector::ThresholdDetector(std::string id, gateway::v1::ThresholdDetector config)
    : id_(std::move(id)), config_(std::move(config)) {}

void ThresholdDetector::onReading(const gateway::v1::Reading& reading,
                                  pipeline::EventSink& events) {
  if (reading.quantity() != config_.quantity()) return;
  bool& raised = raised_by_source_[reading.source_id()];
  const bool crossing_up = !raised && reading.value() > config_.above();
  const bool crossing_down = raised && reading.value() < config_.clear_below();
  if (!crossing_up && !crossing_down) return;
  raised = crossing_up;

  gateway::v1::Event event;
  event.set_detector_id(id_);
  event.set_kind(crossing_up ? "threshold_exceeded" : "threshold_cleared");
  event.set_severity(crossing_up ? config_.severity() : gateway::v1::SEVERITY_INFO);
  event.set_source_id(reading.source_id());
  event.set_quantity(reading.quantity());
  event.set_value(reading.value());
  event.set_unit(reading.unit());
  event.set_threshold(crossing_up ? config_.above() : config_.clear_below());
  event.set_observed_unix_ms(reading.observed_unix_ms());
  *event.mutable_location() = reading.location();
  char summary[160];
  std::snprintf(summary, sizeof summary, "%s at %.1f %s, %s %.1f", reading.quantity().c_str(),
                reading.value(), reading.unit().c_str(),
                crossing_up ? "above the limit of" : "back below", event.threshold());
  event.set_summary(summary);
  events.emit(event);
}

}  // namespace gw::detectors
