#pragma once
// The detectors that watch readings, built from the policy's `detectors` entries as one unit so
// that a reload swaps them whole: each reading goes to every detector of its source, on the
// pipeline thread; the host times each call it makes (detector_latency_seconds{detector}). Frame
// detectors run elsewhere, one FrameWorker per camera (frame_worker.h).
#include <google/protobuf/repeated_ptr_field.h>

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "gateway/core/counters.h"
#include "gateway/core/histograms.h"
#include "gateway/detectors/detector.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

class DetectorSet {
 public:
  using Configs = google::protobuf::RepeatedPtrField<gateway::v1::Detector>;

  // Loads every detector (plugins from their .so); fails naming the first that cannot be made.
  // Keeps those that take readings. `site_location`: the place of events whose reading has none.
  static Result<std::unique_ptr<DetectorSet>> create(
      const Configs& configs, Counters& counters, Histograms& histograms,
      const std::optional<gateway::v1::Location>& site_location = std::nullopt);

  void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events);
  // The detectors that take readings (frames-only detectors are left to the frame workers).
  size_t size() const { return detectors_.size(); }

 private:
  std::vector<DetectorPtr> detectors_;
  std::multimap<std::string, Detector*> by_source_;
};

}  // namespace gw::detectors
