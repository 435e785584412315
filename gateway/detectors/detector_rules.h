#pragma once
// The detectors stage's rules for a policy's `detectors` entry: it has a kind, a plugin names a
// library that exists, and a threshold has a quantity and a clear_below that does not exceed its
// limit. The built-in detectors check their own parameters when they are created (behind the
// ABI). config/ runs these while it resolves the policy.
#include <string>

#include "gateway/core/problem_sink.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

// False when the detector has no kind: nothing else about it can be checked.
bool checkDetector(const gateway::v1::Detector& detector, const std::string& path,
                   ProblemSink& check);

}  // namespace gw::detectors
