#pragma once
// The router's rules for a route's `batch` (decision 0512): a batch holds 2 to 10000 readings,
// waits at most a minute, and applies to measurements only. config/ runs them on the resolved
// route while it resolves the policy.
#include <string>

#include "gateway/core/problem_sink.h"
#include "gateway/pipeline/route.h"

namespace gw::router {

inline constexpr uint32_t kMaxBatchReadings = 10000;
inline constexpr std::chrono::seconds kMaxBatchLinger{60};

void checkRouteBatch(const pipeline::Route& route, const std::string& path, ProblemSink& check);

}  // namespace gw::router
