#pragma once
// The camera side of a source: what a frame detector needs from a camera without knowing how it
// decodes. A source that has frames returns itself from Source::frames().
#include <string>

#include "gateway/pipeline/latest_frame_slot.h"
#include "gateway/v1/data.pb.h"

namespace gw::pipeline {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Registers a consumer; call before the source starts. The slot lives as long as the source.
  virtual LatestFrameSlot& addConsumer(const std::string& name) = 0;
  // The counter-key prefix of the frames this source hands to its consumers: a frame detector's
  // input, for the ops endpoint's stall check.
  virtual std::string framesCounter() const = 0;
  // Where the camera stands (from the policy): a frame carries no position, so frame detectors
  // put this on their events.
  virtual const gateway::v1::Location& location() const = 0;
};

}  // namespace gw::pipeline
