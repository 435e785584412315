#pragma once
// The sources stage's rules for a policy's `sources` entries: a source has a kind, its format can
// arrive over its transport, and the transport's and the camera's settings make sense. config/
// runs them while it resolves the policy and reports each problem at its file and line.
#include <string>

#include "gateway/core/problem_sink.h"
#include "gateway/v1/policy.pb.h"

namespace gw::sources {

void checkSource(const gateway::v1::Source& source, const std::string& path, ProblemSink& check);

}  // namespace gw::sources
