#pragma once
// Raises `threshold_exceeded` when a quantity rises above a limit and `threshold_cleared` when it
// falls back below the clear level, once per crossing and per source (hysteresis: a value hovering
// at the limit does not produce a stream of events).
#include <map>

#include "gateway/detectors/detector.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

class ThresholdDetector : public Detector {
 public:
  ThresholdDetector(std::string id, gateway::v1::ThresholdDetector config);

  const std::string& id() const override { return id_; }
  void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) override;

 private:
  std::string id_;
  gateway::v1::ThresholdDetector config_;
  std::map<std::string, bool> raised_by_source_;
};

}  // namespace gw::detectors
