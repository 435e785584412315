#include "gateway/privacy/snapshot_evidence.h"

#include <algorithm>

#include "gateway/privacy/anonymiser.h"
#include "gateway/privacy/snapshot.h"

namespace gw::privacy {

namespace {

bool anyRouteOf(const pipeline::RouteTable& routes, const std::string& detector_id,
                bool (*wants)(const pipeline::Route&)) {
  return std::any_of(routes.routes.begin(), routes.routes.end(), [&](const auto& route) {
    const auto& detectors = route.spec->from().detectors();
    return wants(route) &&
           std::find(detectors.begin(), detectors.end(), detector_id) != detectors.end();
  });
}

}  // namespace

bool routesWantSnapshots(const pipeline::RouteTable& routes, const std::string& detector_id) {
  return anyRouteOf(routes, detector_id,
                    [](const pipeline::Route& route) { return route.wantsSnapshot(); });
}

bool routesWantAnonymisedSnapshots(const pipeline::RouteTable& routes,
                                   const std::string& detector_id) {
  return anyRouteOf(routes, detector_id, [](const pipeline::Route& route) {
    return route.spec->snapshot() == gateway::v1::SNAPSHOT_MODE_ANONYMISED;
  });
}

Result<pipeline::MakeEvidence> snapshotEvidence(const pipeline::RouteTable& routes,
                                                const std::string& detector_id) {
  if (!routesWantAnonymisedSnapshots(routes, detector_id)) {
    // The frame alone: what a raw snapshot route (and the privacy stage's own bookkeeping) needs.
    return pipeline::MakeEvidence([](const pipeline::FramePtr& frame, const gateway::v1::Event&) {
      auto evidence = std::make_shared<pipeline::CameraEvidence>();
      evidence->frame = frame;
      return pipeline::CameraEvidencePtr(std::move(evidence));
    });
  }
  auto created = Anonymiser::create();
  if (!created.ok()) return created.status();
  // Shared by the copies of the function, all of which run on the one worker thread.
  std::shared_ptr<const Anonymiser> anonymiser = std::move(created).value();
  return pipeline::MakeEvidence(
      [anonymiser](const pipeline::FramePtr& frame, const gateway::v1::Event& event) {
        auto evidence = std::make_shared<pipeline::CameraEvidence>();
        evidence->frame = frame;
        auto snapshot = anonymisedSnapshot(*frame, event, *anonymiser);
        if (snapshot.ok()) {
          evidence->anonymised = std::move(snapshot).value();
        } else {
          evidence->anonymise_error = snapshot.status().message();
        }
        return pipeline::CameraEvidencePtr(std::move(evidence));
      });
}

}  // namespace gw::privacy
