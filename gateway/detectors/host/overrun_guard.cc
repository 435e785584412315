#include "gateway/detectors/host/overrun_guard.h"

#include <algorithm>

namespace gw::detectors {

OverrunGuard::OverrunGuard(OverrunLimits limits) : limits_(limits), backoff_(limits_.backoff_min) {}

OverrunGuard::Admission OverrunGuard::admit(Input input, Clock::time_point now) const {
  switch (state_) {
    case State::kDisabled:
      // After the cool-down the next call is made: it is the trial that record() judges.
      return now < disabled_until_ ? Admission::kSkipDisabled : Admission::kCall;
    case State::kRunning:
      return input == Input::kFrame && now < resume_at_ ? Admission::kSkipBackoff
                                                        : Admission::kCall;
    case State::kBackingOff:  // never stored: RUNNING with resume_at_ in the future
    case State::kProbation:
      break;
  }
  return Admission::kCall;
}

OverrunGuard::State OverrunGuard::state(Clock::time_point now) const {
  if (state_ == State::kProbation && now >= probation_until_) return State::kRunning;
  if (state_ == State::kRunning && now < resume_at_) return State::kBackingOff;
  return state_;
}

OverrunGuard::Clock::duration OverrunGuard::disable(Clock::time_point now) {
  // 1, 2, 4, ... times the cool-down for each disable since the last clean probation, at most
  // kCooldownMaxFactor times.
  const int factor = std::min(1 << std::min(disables_, 16), OverrunLimits::kCooldownMaxFactor);
  const Clock::duration cooldown = limits_.cooldown * factor;
  ++disables_;
  state_ = State::kDisabled;
  disabled_until_ = now + cooldown;
  overruns_.clear();
  return cooldown;
}

OverrunGuard::Outcome OverrunGuard::record(Input input, Clock::time_point start,
                                           Clock::time_point end) {
  Outcome out;
  out.took = end - start;
  out.overran = out.took > limits_.budget;

  if (state_ == State::kDisabled) {  // the trial
    if (out.overran) {
      out.transition = Transition::kStillDisabled;
      out.wait = disable(end);
      return out;
    }
    state_ = State::kProbation;
    probation_until_ = end + limits_.overrun_window;
    // A fresh start: what happened before the disable says nothing about now.
    backoff_ = limits_.backoff_min;
    resume_at_ = {};
    out.transition = Transition::kEnabled;
    out.wait = limits_.overrun_window;
    return out;
  }

  if (state_ == State::kProbation && start >= probation_until_) {
    // A whole window without an overrun: the next disable starts from the base cool-down again.
    state_ = State::kRunning;
    disables_ = 0;
  }

  if (state_ == State::kProbation) {
    if (!out.overran) return out;
    out.transition = Transition::kDisabled;
    out.overruns_in_window = 1;
    out.wait = disable(end);
    return out;
  }

  // RUNNING (or BACKING OFF, once its backoff is over).
  if (!out.overran) {
    if (input == Input::kFrame) backoff_ = limits_.backoff_min;
    return out;
  }
  overruns_.push_back(end);
  while (!overruns_.empty() && overruns_.front() <= end - limits_.overrun_window) {
    overruns_.pop_front();
  }
  out.overruns_in_window = static_cast<int>(overruns_.size());
  if (out.overruns_in_window >= limits_.overrun_limit) {
    out.transition = Transition::kDisabled;
    out.wait = disable(end);
    return out;
  }
  out.transition = Transition::kOverran;
  if (input == Input::kFrame) {
    out.wait = backoff_;
    resume_at_ = end + backoff_;
    backoff_ = std::min<Clock::duration>(backoff_ * 2, limits_.backoff_max);
  }
  return out;
}

}  // namespace gw::detectors
