#pragma once
// Is each source and frame detector still making progress? Sampled from the Counters registry
// once a second on the ops thread, so a stuck pipeline cannot hide its own stall.
//
// A watch names counter-key prefixes whose sum is its progress (a source: readings accepted or
// dropped; a frame detector: frames processed) and, optionally, its input (a frame detector: the
// camera's decoded frames). Stalled: no progress for `stall_after`, and, when it has an input,
// input arrived meanwhile (a detector on a camera that is offline is waiting, not stalled).
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace gw::ops {

struct Watch {
  enum class Kind { kSource, kDetector };
  Kind kind = Kind::kSource;
  std::string id;
  std::vector<std::string> progress_prefixes;
  std::vector<std::string> input_prefixes;
};

struct Progress {
  uint64_t total = 0;
  double rate_per_second = 0;  // over the last ~10 s
  double seconds_since_progress = 0;
  bool stalled = false;
};

class ProgressTracker {
 public:
  using Clock = std::chrono::steady_clock;
  // stall_after 0 disables the stall check (rates are still tracked).
  ProgressTracker(std::vector<Watch> watches, std::chrono::seconds stall_after,
                  Clock::time_point now);

  void sample(const std::map<std::string, uint64_t>& counters, Clock::time_point now);
  const std::vector<Watch>& watches() const { return watches_; }
  // Same order as watches().
  std::vector<Progress> progress(Clock::time_point now) const;
  std::chrono::seconds stallAfter() const { return stall_after_; }

 private:
  struct State {
    uint64_t total = 0;
    uint64_t input = 0;
    uint64_t input_at_progress = 0;
    Clock::time_point last_progress;
    std::deque<std::pair<Clock::time_point, uint64_t>> history;
  };

  std::vector<Watch> watches_;
  std::chrono::seconds stall_after_;
  std::vector<State> states_;
};

// Sum of every counter whose key starts with one of `prefixes`.
uint64_t sumByPrefix(const std::map<std::string, uint64_t>& counters,
                     const std::vector<std::string>& prefixes);

}  // namespace gw::ops
