#include "gateway/ops/progress_tracker.h"

namespace gw::ops {
namespace {
constexpr auto kRateWindow = std::chrono::seconds(10);
}  // namespace

uint64_t sumByPrefix(const std::map<std::string, uint64_t>& counters,
                     const std::vector<std::string>& prefixes) {
  uint64_t sum = 0;
  for (const auto& prefix : prefixes) {
    for (auto it = counters.lower_bound(prefix);
         it != counters.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      sum += it->second;
    }
  }
  return sum;
}

ProgressTracker::ProgressTracker(std::vector<Watch> watches, std::chrono::seconds stall_after,
                                 Clock::time_point now)
    : watches_(std::move(watches)), stall_after_(stall_after), states_(watches_.size()) {
  for (auto& state : states_) state.last_progress = now;
}

void ProgressTracker::sample(const std::map<std::string, uint64_t>& counters,
                             Clock::time_point now) {
  for (size_t i = 0; i < watches_.size(); ++i) {
    State& state = states_[i];
    const uint64_t total = sumByPrefix(counters, watches_[i].progress_prefixes);
    state.input = sumByPrefix(counters, watches_[i].input_prefixes);
    if (total != state.total) {
      state.total = total;
      state.last_progress = now;
      state.input_at_progress = state.input;
    }
    state.history.emplace_back(now, total);
    while (state.history.size() > 2 && now - state.history.front().first > kRateWindow) {
      state.history.pop_front();
    }
  }
}

std::vector<Progress> ProgressTracker::progress(Clock::time_point now) const {
  std::vector<Progress> out;
  for (size_t i = 0; i < watches_.size(); ++i) {
    const State& state = states_[i];
    Progress p;
    p.total = state.total;
    if (state.history.size() >= 2) {
      const auto& [t0, v0] = state.history.front();
      const auto& [t1, v1] = state.history.back();
      const double dt = std::chrono::duration<double>(t1 - t0).count();
      if (dt > 0) p.rate_per_second = static_cast<double>(v1 - v0) / dt;
    }
    p.seconds_since_progress = std::chrono::duration<double>(now - state.last_progress).count();
    const bool waiting_for_input =
        !watches_[i].input_prefixes.empty() && state.input == state.input_at_progress;
    p.stalled =
        stall_after_.count() > 0 && now - state.last_progress > stall_after_ && !waiting_for_input;
    out.push_back(p);
  }
  return out;
}

}  // namespace gw::ops
