#pragma once
// A detector turns readings (and, from issue 7, frames) into events. In the foundation the
// interface is in-tree C++; issue 7 puts every detector behind a versioned C ABI.
#include <memory>
#include <string>
#include <vector>

#include "gateway/pipeline/stage.h"

namespace gw::detectors {

class Detector {
 public:
  virtual ~Detector() = default;
  virtual const std::string& id() const = 0;
  // Called on the pipeline strand for each reading from one of the detector's sources.
  virtual void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) = 0;
};

using DetectorPtr = std::unique_ptr<Detector>;

}  // namespace gw::detectors
