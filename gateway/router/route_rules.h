#pragma once
// The router's rules for a route's `batch` (decision 0512): a batch holds 2 to 10000 readings,
// waits at most a minute, and applies to measurements only; the same bounds hold for the batches
// made under a backlog (gateway.backlog_batching, decision 1350). config/ runs them while it
// resolves the policy.
#include <string>

#include "gateway/core/problem_sink.h"
#include "gateway/pipeline/route.h"
#include "gateway/router/backlog_batching.h"

namespace gw::router {

inline constexpr uint32_t kMaxBatchReadings = 10000;
inline constexpr std::chrono::seconds kMaxBatchLinger{60};

void checkRouteBatch(const pipeline::Route& route, const std::string& path, ProblemSink& check);
// `path` is the setting's own (gateway.backlog_batching).
void checkBacklogBatching(const BacklogBatching& rule, const std::string& path, ProblemSink& check);

}  // namespace gw::router
