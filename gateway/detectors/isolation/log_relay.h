#pragma once
// The plugin's log callback in the child: each line becomes a FromHost{log} on the socket, at
// most kHostLogLinesPerSecond a second. A plugin logging in a loop would otherwise fill the
// socket and gatewayd's journal; the lines over the rate are dropped, and the next line relayed
// says how many.
#include <chrono>
#include <cstdint>
#include <mutex>

namespace gw::detectors {

class LogRelay {
 public:
  // A gw_log_fn; `ctx` is the LogRelay. Plugins may log from their own threads.
  static void log(void* ctx, int32_t level, const char* message);

 private:
  std::mutex mutex_;
  std::chrono::steady_clock::time_point window_start_{};
  int lines_in_window_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace gw::detectors
