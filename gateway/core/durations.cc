#include "gateway/core/durations.h"

#include <charconv>
#include <cmath>

namespace gw {
namespace {

std::optional<double> unitSeconds(const std::string& unit) {
  if (unit == "ms") return 0.001;
  if (unit == "s" || unit == "sec") return 1;
  if (unit == "m" || unit == "min") return 60;
  if (unit == "h") return 3600;
  if (unit == "d") return 86400;
  return std::nullopt;
}

}  // namespace

std::optional<double> parseDurationSeconds(const std::string& text) {
  double number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || ptr == text.data() || number <= 0 || !std::isfinite(number))
    return std::nullopt;
  auto unit = unitSeconds(std::string(ptr, text.data() + text.size()));
  if (!unit) return std::nullopt;
  return number * *unit;
}

std::optional<double> parseRatePerSecond(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  double count = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + slash, count);
  if (ec != std::errc() || ptr != text.data() + slash || count <= 0 || !std::isfinite(count))
    return std::nullopt;
  auto unit = unitSeconds(text.substr(slash + 1));
  if (!unit) return std::nullopt;
  return count / *unit;
}

std::optional<uint64_t> parseByteSize(const std::string& text) {
  uint64_t number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || ptr == text.data() || number == 0) return std::nullopt;
  const std::string unit(ptr, text.data() + text.size());
  uint64_t scale = 0;
  if (unit == "B" || unit.empty()) scale = 1;
  if (unit == "KB") scale = 1000;
  if (unit == "KiB") scale = 1u << 10;
  if (unit == "MB") scale = 1000ull * 1000;
  if (unit == "MiB") scale = 1u << 20;
  if (unit == "GB") scale = 1000ull * 1000 * 1000;
  if (unit == "GiB") scale = 1ull << 30;
  if (scale == 0 || number > UINT64_MAX / scale) return std::nullopt;
  return number * scale;
}

}  // namespace gw
