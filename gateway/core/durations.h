#pragma once
// Units in policy values: durations ("30s", "15m", "72h", "28d") and rates ("10/min", "1/s",
// "100/h", "500/d").
#include <optional>
#include <string>

namespace gw {

std::optional<double> parseDurationSeconds(const std::string& text);
std::optional<double> parseRatePerSecond(const std::string& text);

}  // namespace gw
