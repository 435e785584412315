#pragma once
// What the host does when a detector call takes longer than its time budget: the state machine
// behind PluginDetector, on its own so that it is tested with plain time points (no clock, no
// plugin, no sleeps). One guard per detector instance; not thread-safe (the host calls it under
// the instance's call lock). Decision 1110 says why it is shaped like this.
//
// | State       | calls made                  | on an overrun                 | on a call within
// budget |
// |-------------|-----------------------------|-------------------------------|-------------------------|
// | RUNNING     | all                         | fewer than overrun_limit in   | frames' backoff
// back to | |             |                             | overrun_window: a frame goes  | its
// minimum (1 s)       | |             |                             | BACKING OFF, a reading stays;
// |                         | |             |                             | the limit: DISABLED | |
// | BACKING OFF | readings; frames skipped    | as RUNNING, the next backoff  | RUNNING | | | until
// the backoff is over   | doubled (at most 30 s)        |                         | | DISABLED    |
// none until the cool-down is | (trial) DISABLED again, the   | (trial) PROBATION       | | | over;
// then one, the trial   | cool-down doubled             |                         | | PROBATION   |
// all, for one overrun_window | DISABLED, the cool-down       | RUNNING once the window | | | |
// doubled                       | is over; cool-down reset|
//
// Entering DISABLED from RUNNING or PROBATION is announced (detector_disabled), and so is leaving
// it (detector_enabled), so the announcements alternate and `disabled_total - enabled_total` is
// the number of instances out of service. A trial that overruns is not announced: the operator
// was told the detector is disabled, and it still is; a plugin that keeps failing is tried once
// per cool-down (30 s doubling to 300 s by default) without a pair of events each time.
//
// Why frames and not readings are skipped while backing off: a camera delivers the next frame a
// fraction of a second later and a frame detector looks at a scene, so a skipped frame costs a
// little latency and sheds real CPU; a reading detector keeps state from every reading (a
// threshold crossing, an hourly mean, a rate of rise), a skipped reading can be the one crossing,
// and a reading call costs microseconds, so skipping it would shed nothing. Readings' overruns
// still count towards the limit: a reading detector runs on the pipeline thread, and one that
// keeps overrunning stalls every source, so it is disabled like any other.
#include <chrono>
#include <deque>

namespace gw::detectors {

struct OverrunLimits {
  std::chrono::milliseconds budget{200};         // param budget_ms: one call may take this long
  int overrun_limit = 5;                         // param overrun_limit: this many overruns ...
  std::chrono::seconds overrun_window{60};       // ... param overrun_window_s: within this disable
  std::chrono::seconds cooldown{30};             // param cooldown_s: the first disable lasts this
  std::chrono::milliseconds backoff_min{1000};   // frames skipped after an overrun, doubling ...
  std::chrono::milliseconds backoff_max{30000};  // ... up to this
  // Each further disable before a clean probation doubles the cool-down, up to this many times
  // cooldown (Envoy's outlier detection: 30 s base, 300 s at most).
  static constexpr int kCooldownMaxFactor = 10;
};

class OverrunGuard {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kRunning, kBackingOff, kDisabled, kProbation };
  enum class Input { kReading, kFrame };
  enum class Admission { kCall, kSkipBackoff, kSkipDisabled };
  enum class Transition {
    kNone,           // within budget, or a probation passed
    kOverran,        // an overrun below the limit: frames back off, readings carry on
    kDisabled,       // announce detector_disabled
    kStillDisabled,  // a trial overran: disabled again, longer, not announced
    kEnabled,        // a trial within budget: announce detector_enabled, on probation
  };
  struct Outcome {
    Transition transition = Transition::kNone;
    bool overran = false;
    Clock::duration took{};
    // kOverran from a frame: the backoff now in force; kDisabled, kStillDisabled: the cool-down;
    // kEnabled: the probation.
    Clock::duration wait{};
    int overruns_in_window = 0;  // kDisabled from RUNNING: how many led to it
  };

  explicit OverrunGuard(OverrunLimits limits = {});

  // Whether the call of `input` arriving at `now` is made. Changes nothing: the call's outcome
  // does, so a skipped call never counts as a trial.
  Admission admit(Input input, Clock::time_point now) const;
  // The outcome of a call that was made, from `start` to `end`.
  Outcome record(Input input, Clock::time_point start, Clock::time_point end);

  State state(Clock::time_point now) const;
  bool disabled() const { return state_ == State::kDisabled; }
  const OverrunLimits& limits() const { return limits_; }

 private:
  Clock::duration disable(Clock::time_point now);

  OverrunLimits limits_;
  State state_ = State::kRunning;  // kRunning stands for BACKING OFF too, until resume_at_
  Clock::time_point resume_at_{};  // frames are skipped before it
  Clock::duration backoff_;        // the next backoff
  Clock::time_point disabled_until_{};
  Clock::time_point probation_until_{};
  int disables_ = 0;  // since the last clean probation: the cool-down doubles with each
  std::deque<Clock::time_point> overruns_;  // within the window, oldest first
};

}  // namespace gw::detectors
