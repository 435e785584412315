#pragma once
// /metrics in the Prometheus text exposition format (version 0.0.4): every counter of the
// registry as `lantaarn_<name>` (TYPE counter), the latency histograms, and gauges computed at
// scrape time (outbox depth and oldest age per actor, source rates, broker state, policy version).
#include <string>

#include "gateway/ops/ops_inputs.h"

namespace gw::ops {

std::string renderPrometheus(const OpsInputs& in);

}  // namespace gw::ops
