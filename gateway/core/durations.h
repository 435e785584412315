#pragma once
// Units in policy values: durations ("100ms", "30s", "15m", "72h", "28d"), rates ("10/min",
// "1/s", "100/h", "500/d") and sizes ("4096", "512KiB", "256MiB", "1GB").
#include <cstdint>
#include <optional>
#include <string>

namespace gw {

std::optional<double> parseDurationSeconds(const std::string& text);
std::optional<double> parseRatePerSecond(const std::string& text);
std::optional<uint64_t> parseByteSize(const std::string& text);

}  // namespace gw
