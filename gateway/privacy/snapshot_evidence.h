#pragma once
// What a frame worker makes for each event it detects, for the privacy stage's snapshots
// (pipeline/camera_evidence.h): always the frame; when a route wants snapshots of the detector's
// events, also the anonymised snapshot, made there on the worker's thread so that face and person
// detection never runs on the pipeline thread.
#include <string>

#include "gateway/core/status.h"
#include "gateway/pipeline/camera_evidence.h"
#include "gateway/pipeline/route.h"

namespace gw::privacy {

// True when a route asks for an anonymised or raw snapshot of `detector_id`'s events.
bool routesWantSnapshots(const pipeline::RouteTable& routes, const std::string& detector_id);
// True when a route asks for an anonymised snapshot of `detector_id`'s events: only then does the
// worker anonymise (a raw route needs only the frame, which every piece of evidence carries).
bool routesWantAnonymisedSnapshots(const pipeline::RouteTable& routes,
                                   const std::string& detector_id);

// The evidence maker for one frame worker of `detector_id` (each worker gets its own: an
// anonymiser is not thread-safe; the model files are read once per process and shared). Fails,
// naming the file, when a model the anonymiser needs is missing or damaged: gatewayd then
// refuses to start rather than send events whose images it cannot anonymise.
Result<pipeline::MakeEvidence> snapshotEvidence(const pipeline::RouteTable& routes,
                                                const std::string& detector_id);

}  // namespace gw::privacy
