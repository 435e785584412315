#include "gateway/config/setting_values.h"

#include <cmath>

#include "gateway/core/durations.h"

namespace gw::config {

std::chrono::milliseconds secondsToMillis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

std::optional<std::chrono::milliseconds> resolveDuration(std::string* text,
                                                         std::string_view fallback,
                                                         const std::string& path,
                                                         std::string_view expected,
                                                         ProblemSink& check) {
  if (text->empty()) *text = fallback;
  auto seconds = parseDurationSeconds(*text);
  if (!seconds) {
    check.fail(path, "'" + *text + "' is not a duration " + std::string(expected));
    return std::nullopt;
  }
  return secondsToMillis(*seconds);
}

std::optional<std::chrono::milliseconds> resolveBoundedDuration(
    std::string* text, std::string_view fallback, std::string_view min, std::string_view max,
    const std::string& path, ProblemSink& check) {
  if (text->empty()) *text = fallback;
  auto seconds = parseDurationSeconds(*text);
  if (!seconds || *seconds < *parseDurationSeconds(std::string(min)) ||
      *seconds > *parseDurationSeconds(std::string(max))) {
    check.fail(path, "'" + *text + "' is not a duration from " + std::string(min) + " to " +
                         std::string(max) + " (e.g. " + std::string(fallback) + ")");
    return std::nullopt;
  }
  return secondsToMillis(*seconds);
}

std::optional<uint64_t> resolveSize(std::string* text, std::string_view fallback,
                                    const std::string& path, ProblemSink& check) {
  if (text->empty()) *text = fallback;
  auto bytes = parseByteSize(*text);
  if (!bytes) {
    check.fail(path, "'" + *text + "' is not a size (expected e.g. 512KiB, 64MiB, 1GiB or bytes)");
  }
  return bytes;
}

}  // namespace gw::config
