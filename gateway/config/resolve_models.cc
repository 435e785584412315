// The vision models a policy needs, checked where the policy asks for them: an anonymised
// snapshot route needs the anonymiser's three (privacy/anonymiser.h), a fall detector the pose
// model. A missing or damaged model file is a policy error at the route's or detector's key, so
// `gatewayctl policy check` names the file before gatewayd would refuse to start.
#include <map>

#include "gateway/config/resolve_sections.h"
#include "gateway/privacy/anonymiser.h"
#include "gateway/vision/model_files.h"

namespace gw::config {

namespace {

// The fall detector's pose and person mask (detectors/builtin/fall, vision::PoseEstimator).
const std::vector<vision::Model> kFallModels = {vision::Model::kBodyPix};

}  // namespace

void checkVisionModels(const ResolvedPolicy& out, Checker& check) {
  std::map<vision::Model, Status> checked;  // each model loaded once per policy check
  // One error per key (the loader keeps one per key path), naming every file that is missing.
  auto require = [&](const std::vector<vision::Model>& models, const std::string& path,
                     const std::string& what) {
    std::string problems;
    for (vision::Model m : models) {
      auto it = checked.find(m);
      if (it == checked.end()) it = checked.emplace(m, vision::checkModel(m)).first;
      if (!it->second.ok())
        problems += (problems.empty() ? "" : "; and the ") + it->second.message();
    }
    if (!problems.empty()) check.fail(path, what + " needs the " + problems);
  };
  for (int i = 0; i < out.policy.routes_size(); ++i) {
    if (out.policy.routes(i).snapshot() == gateway::v1::SNAPSHOT_MODE_ANONYMISED) {
      require(privacy::anonymiserModels(), "routes[" + std::to_string(i) + "].snapshot",
              "an anonymised snapshot");
    }
  }
  for (int i = 0; i < out.policy.detectors_size(); ++i) {
    if (out.policy.detectors(i).has_fall()) {
      require(kFallModels, "detectors[" + std::to_string(i) + "].fall", "the fall detector");
    }
  }
}

}  // namespace gw::config
