#include "gateway/core/log_rate_limit.h"

#include <cctype>

namespace gw {
namespace {

// Bounds memory when every message differs (the groups only matter for repeats).
constexpr size_t kMaxGroups = 1024;

std::string groupKey(const spdlog::details::log_msg& msg) {
  std::string key(1, static_cast<char>('0' + static_cast<int>(msg.level)));
  for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (key.back() != '#') key += '#';
    } else {
      key += c;
    }
  }
  return key;
}

}  // namespace

RateLimitedSink::RateLimitedSink(spdlog::sink_ptr inner, size_t burst, std::chrono::seconds window,
                                 Clock clock)
    : inner_(std::move(inner)), burst_(burst), window_(window), clock_(std::move(clock)) {}

void RateLimitedSink::sink_it_(const spdlog::details::log_msg& msg) {
  if (msg.level < spdlog::level::warn) {
    inner_->log(msg);
    return;
  }
  const auto now = clock_();
  const std::string key = groupKey(msg);
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    if (groups_.size() >= kMaxGroups) groups_.clear();
    it = groups_.emplace(key, Group{now, 0, 0}).first;
  }
  Group& group = it->second;
  if (now - group.window_start >= window_) {
    if (group.suppressed > 0) {
      const std::string note = "Suppressed " + std::to_string(group.suppressed) +
                               " repeats of the next message in the last " +
                               std::to_string(window_.count()) + " s";
      spdlog::details::log_msg summary(msg.logger_name, msg.level, note);
      inner_->log(summary);
    }
    group = Group{now, 0, 0};
  }
  if (group.logged < burst_) {
    ++group.logged;
    inner_->log(msg);
    return;
  }
  ++group.suppressed;
  ++suppressed_total_;
}

}  // namespace gw
