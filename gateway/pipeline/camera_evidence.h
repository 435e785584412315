#pragma once
// What a camera event takes along to the privacy stage: the frame it was detected on (masks
// already applied, immutable, shared) and, when a route wants an anonymised snapshot of it, that
// snapshot, made on the frame worker's thread so that face and person detection never runs on the
// pipeline thread. Travels with the event through the router inside each RoutedMessage.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gateway/pipeline/frame.h"
#include "gateway/v1/data.pb.h"

namespace gw::pipeline {

struct CameraEvidence {
  FramePtr frame;
  std::optional<gateway::v1::Snapshot> anonymised;
  std::string anonymise_error;  // why there is none, if anonymisation was asked for and failed
};
using CameraEvidencePtr = std::shared_ptr<const CameraEvidence>;

// Makes the evidence for one event on one frame; runs on a frame worker's thread. The privacy
// stage provides it (privacy/snapshot_evidence.h), the frame worker calls it.
using MakeEvidence =
    std::function<CameraEvidencePtr(const FramePtr& frame, const gateway::v1::Event& event)>;

}  // namespace gw::pipeline
