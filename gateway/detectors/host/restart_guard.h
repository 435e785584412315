#pragma once
// What the host does when a detector's child process ends (a crash, a hang, a memory limit, a
// protocol violation): the state machine behind PluginDetector's restarts, on its own so that it
// is tested with plain time points. Not thread-safe (the host calls it under its call lock).
// Decision 1420 says why it is shaped like this; docs/PLUGINS.md, "Isolation", is the manual.
//
// | State      | calls                               | on a fault                              |
// |------------|-------------------------------------|-----------------------------------------|
// | RUNNING    | all                                 | fewer than fault_limit in fault_window: |
// |            |                                     | RESTARTING (detector_crashed), backoff  |
// |            |                                     | 1 s doubling to 30 s; the limit:        |
// |            |                                     | DISABLED (detector_disabled)            |
// | RESTARTING | skipped until the backoff is over,  |                                         |
// |            | then a new child and the call       |                                         |
// | DISABLED   | skipped for the cool-down, then a   |                                         |
// |            | new child: the TRIAL                |                                         |
// | TRIAL      | all; the first that returns enables | DISABLED again, the cool-down doubled   |
// |            | it: PROBATION (detector_enabled)    | (up to 10x), no event                   |
// | PROBATION  | all, for one fault_window; then     | DISABLED, cool-down doubled, with an    |
// |            | RUNNING, cool-down back to its base | event (it was announced enabled)        |
//
// Every state skips readings as well as frames while no child is there: there is nothing to call.
// A restart starts the plugin afresh, so it loses what it had learnt (as a reload does).
#include <chrono>
#include <deque>

namespace gw::detectors {

struct RestartLimits {
  int fault_limit = 5;                           // sandbox.restart_limit: this many faults ...
  std::chrono::seconds fault_window{300};        // ... sandbox.restart_window_s: within this
  std::chrono::seconds cooldown{60};             // sandbox.cooldown_s: the first disable
  std::chrono::milliseconds backoff_min{1000};   // the first restart waits this, doubling ...
  std::chrono::milliseconds backoff_max{30000};  // ... up to this
  int cooldown_max_factor = 10;
};

class RestartGuard {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kRunning, kRestarting, kDisabled, kTrial, kProbation };
  enum class Admission {
    kCall,            // a child is there
    kStart,           // the wait is over: start a child, then call
    kSkipRestarting,  // backing off before the restart
    kSkipDisabled,    // disabled, cooling down
  };
  enum class Transition {
    kRestart,        // detector_crashed; a new child after `wait`
    kDisabled,       // detector_disabled; tried again after `wait`
    kStillDisabled,  // the trial failed; tried again after `wait`, no event
  };
  struct Outcome {
    Transition transition;
    Clock::duration wait{};
    int faults_in_window = 0;
  };

  RestartGuard() = default;
  explicit RestartGuard(RestartLimits limits);

  Admission admit(Clock::time_point now);
  Outcome fault(Clock::time_point now);
  // A call returned. True once, for the first after a trial start: announce detector_enabled.
  bool succeeded(Clock::time_point now);

  State state(Clock::time_point now) const;
  bool disabled() const { return state_ == State::kDisabled; }
  const RestartLimits& limits() const { return limits_; }

 private:
  void prune(Clock::time_point now);

  RestartLimits limits_;
  State state_ = State::kRunning;
  Clock::time_point until_{};             // end of the backoff, cool-down or probation
  std::deque<Clock::time_point> faults_;  // within fault_window
  int cooldown_factor_ = 1;               // doubles per disable without a clean probation
};

}  // namespace gw::detectors
