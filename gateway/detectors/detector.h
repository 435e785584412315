#pragma once
// A detector turns readings (and, from issue 7, frames) into events. In the foundation the
// interface is in-tree C++; issue 7 puts every detector behind a versioned C ABI.
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
  // Detectors that look at camera frames get them on a frame worker thread (app/frame_worker.h),
  // one call at a time; the frame is lent for the call.
  virtual bool wantsFrames() const { return false; }
  virtual void onFrame(const pipeline::Frame& frame, pipeline::EventSink& events) {}
};

using DetectorPtr = std::unique_ptr<Detector>;

}  // namespace gw::detectors
