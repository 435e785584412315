#pragma once
// Which camera detectors need snapshots, read from the policy at start.
#include <memory>
#include <string>

#include "gateway/core/status.h"
#include "gateway/privacy/anonymiser.h"
#include "gateway/v1/policy.pb.h"

namespace gw::app {

// True when a route of `policy` asks for an anonymised or raw snapshot of `detector_id`'s events.
bool routesWantSnapshots(const gateway::v1::Policy& policy, const std::string& detector_id);

// An anonymiser for the frame worker of `detector_id` when its events need snapshots (null when
// they do not). Fails when the cascades are missing: gatewayd then refuses to start rather than
// send events whose images it cannot anonymise.
Result<std::unique_ptr<privacy::Anonymiser>> snapshotAnonymiser(const gateway::v1::Policy& policy,
                                                                const std::string& detector_id);

}  // namespace gw::app
