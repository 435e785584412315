#include "gateway/detectors/isolation/log_relay.h"

#include <cstring>
#include <string>

#include "gateway/detectors/isolation/detector_host_protocol.h"
#include "gateway/detectors/isolation/host_output.h"

namespace gw::detectors {

void LogRelay::log(void* ctx, int32_t level, const char* message) {
  auto* self = static_cast<LogRelay*>(ctx);
  std::string text;
  {
    std::lock_guard lock(self->mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now - self->window_start_ >= std::chrono::seconds(1)) {
      self->window_start_ = now;
      self->lines_in_window_ = 0;
    }
    if (self->lines_in_window_ >= kHostLogLinesPerSecond) {
      ++self->dropped_;
      return;
    }
    ++self->lines_in_window_;
    if (self->dropped_ != 0) {
      text = "(" + std::to_string(self->dropped_) + " lines dropped) ";
      self->dropped_ = 0;
    }
  }
  const char* line = message != nullptr ? message : "";
  text.append(line, ::strnlen(line, kMaxHostLogLineBytes));
  gateway::v1::FromHost out;
  out.mutable_log()->set_level(level < 0 ? 0 : level > 3 ? 3 : level);
  out.mutable_log()->set_message(std::move(text));
  host_output::send(out);
}

}  // namespace gw::detectors
