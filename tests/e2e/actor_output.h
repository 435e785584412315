#pragma once
// Reading what `gatewayctl subscribe --json` printed: one message per line, whose readings are a
// single `measurement` or, when gatewayd batched them (a route's `batch`, or a backlog in its
// outbox: decision 1350), the `readings` of a `measurement_batch`.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace gw::e2e {

// The readings one printed message carries, in order; none for an event or other message.
inline std::vector<nlohmann::json> readingsOf(const nlohmann::json& message) {
  if (message.contains("measurement")) return {message["measurement"]};
  if (message.contains("measurement_batch")) {
    return message["measurement_batch"]["readings"].get<std::vector<nlohmann::json>>();
  }
  return {};
}

// Each message an actor printed to `out`, parsed; a line still being written is left out.
inline std::vector<nlohmann::json> messagesIn(const std::filesystem::path& out) {
  std::vector<nlohmann::json> messages;
  std::istringstream in(gw::testing::readWholeFile(out));
  for (std::string line; std::getline(in, line);) {
    auto m = nlohmann::json::parse(line, nullptr, false);
    if (!m.is_discarded()) messages.push_back(std::move(m));
  }
  return messages;
}

}  // namespace gw::e2e
