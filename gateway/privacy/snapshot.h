#pragma once
// The image that goes with a camera event: the frame the event was detected on (masks already
// applied by the camera), anonymised or, only where a route grants it, raw, as JPEG.
#include "gateway/core/status.h"
#include "gateway/pipeline/frame.h"
#include "gateway/privacy/anonymiser.h"
#include "gateway/v1/data.pb.h"

namespace gw::privacy {

inline constexpr int kSnapshotJpegQuality = 85;

// Persons (silhouettes, boxes), faces and the event's reported box filled (Anonymiser),
// JPEG-encoded. Fails when anonymising or encoding fails: the event then goes without an image.
Result<gateway::v1::Snapshot> anonymisedSnapshot(const pipeline::Frame& frame,
                                                 const gateway::v1::Event& event,
                                                 const Anonymiser& anonymiser);
// The frame as it is. Only for routes with `snapshot: raw` and a legal basis; the caller audits.
Result<gateway::v1::Snapshot> rawSnapshot(const pipeline::Frame& frame);

// The event's box as a rectangle (empty when the event has none).
cv::Rect reportedRegion(const gateway::v1::Event& event);

}  // namespace gw::privacy
