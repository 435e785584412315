#pragma once
// Wall-clock time in Unix milliseconds, the unit every Reading and message carries.
#include <chrono>
#include <cstdint>

namespace gw {

inline int64_t nowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace gw
