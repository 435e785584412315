#pragma once
// A detector turns readings and frames into events. This is the pipeline's side of it: the one
// implementation is the ABI host, host/plugin_detector.h, which runs a gw_detector_api table,
// whether a loaded plugin's or a built-in's (builtin/builtin_tables.h). The app sees only this
// interface, so it knows nothing of dlopen, tables or struct sizes.
#include <memory>
#include <string>
#include <vector>

#include "gateway/pipeline/frame.h"
#include "gateway/pipeline/stage.h"

namespace gw::detectors {

class Detector {
 public:
  virtual ~Detector() = default;
  virtual const std::string& id() const = 0;
  // Called on the pipeline strand for each reading from one of the detector's sources.
  virtual void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) = 0;
  // Detectors that look at camera frames get them on a frame worker thread (frame_worker.h),
  // one call at a time; the frame is lent for the call.
  virtual bool wantsFrames() const { return false; }
  virtual bool wantsReadings() const { return true; }
  virtual void onFrame(const pipeline::Frame& frame, pipeline::EventSink& events) {}
};

using DetectorPtr = std::unique_ptr<Detector>;

}  // namespace gw::detectors
