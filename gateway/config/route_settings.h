#pragma once
// One route's typed settings, resolved from its text: ttl, retention, aggregate interval, batch
// linger and rate limit, with their defaults (defaults.h) applied and written into `route`.
// Problems (text that does not parse, values out of range) go to `check` at `path`. The loader
// runs it for every route; stage tests use it to build the routes a stage reads.
#include <string>

#include "gateway/core/problem_sink.h"
#include "gateway/pipeline/route.h"

namespace gw::config {

pipeline::Route resolveRouteSettings(gateway::v1::Route* route, const std::string& path,
                                     ProblemSink& check);

}  // namespace gw::config
