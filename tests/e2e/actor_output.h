#pragma once
// Reading what `gatewayctl subscribe --json` printed: one message per line, whose readings are a
// single `measurement` or, when gatewayd batched them (a route's `batch`, or a backlog in its
// outbox: decision 1350), the `readings` of a `measurement_batch`.
#include <nlohmann/json.hpp>

#include <vector>

namespace gw::e2e {

// The readings one printed message carries, in order; none for an event or other message.
inline std::vector<nlohmann::json> readingsOf(const nlohmann::json& message) {
  if (message.contains("measurement")) return {message["measurement"]};
  if (message.contains("measurement_batch")) {
    return message["measurement_batch"]["readings"].get<std::vector<nlohmann::json>>();
  }
  return {};
}

}  // namespace gw::e2e
