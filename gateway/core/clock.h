#pragma once
// Wall-clock time in Unix milliseconds, the unit every Reading and message carries.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace gw {

inline int64_t nowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2019-01-31T23:00:00Z": a time as logs and operator tools show it (whole seconds, UTC).
inline std::string utcText(int64_t unix_ms) {
  const auto seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace gw
