#pragma once
// /status: the gateway at a glance as JSON, what the operator's status page renders. Metadata
// only: ids, states, counts, rates and event summaries; never readings' payloads beyond that,
// never images, never keys.
#include <nlohmann/json.hpp>

#include "gateway/ops/ops_inputs.h"

namespace gw::ops {

nlohmann::json statusJson(const OpsInputs& in);

}  // namespace gw::ops
