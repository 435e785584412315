#include "gateway/detectors/host/restart_guard.h"

#include <algorithm>

namespace gw::detectors {

RestartGuard::RestartGuard(RestartLimits limits) : limits_(limits) {}

void RestartGuard::prune(Clock::time_point now) {
  while (!faults_.empty() && now - faults_.front() >= limits_.fault_window) faults_.pop_front();
}

RestartGuard::State RestartGuard::state(Clock::time_point now) const {
  if (state_ == State::kProbation && now >= until_) return State::kRunning;
  return state_;
}

RestartGuard::Admission RestartGuard::admit(Clock::time_point now) {
  switch (state_) {
    case State::kRunning:
    case State::kTrial:
      return Admission::kCall;
    case State::kProbation:
      if (now >= until_) {
        // A clean probation: the next disable starts from the base cool-down again.
        state_ = State::kRunning;
        cooldown_factor_ = 1;
      }
      return Admission::kCall;
    case State::kRestarting:
      if (now < until_) return Admission::kSkipRestarting;
      state_ = State::kRunning;
      return Admission::kStart;
    case State::kDisabled:
      if (now < until_) return Admission::kSkipDisabled;
      state_ = State::kTrial;
      return Admission::kStart;
  }
  return Admission::kCall;
}

RestartGuard::Outcome RestartGuard::fault(Clock::time_point now) {
  prune(now);
  faults_.push_back(now);
  Outcome outcome;
  outcome.faults_in_window = static_cast<int>(faults_.size());
  const bool was_announced_enabled = state_ == State::kProbation && now < until_;
  if (state_ == State::kTrial) {
    cooldown_factor_ = std::min(cooldown_factor_ * 2, limits_.cooldown_max_factor);
    outcome.transition = Transition::kStillDisabled;
  } else if (was_announced_enabled || outcome.faults_in_window >= limits_.fault_limit) {
    if (was_announced_enabled) {
      cooldown_factor_ = std::min(cooldown_factor_ * 2, limits_.cooldown_max_factor);
    }
    outcome.transition = Transition::kDisabled;
  } else {
    Clock::duration backoff = limits_.backoff_min;
    for (int i = 1; i < outcome.faults_in_window && backoff < limits_.backoff_max; ++i) {
      backoff *= 2;
    }
    outcome.wait = std::min<Clock::duration>(backoff, limits_.backoff_max);
    outcome.transition = Transition::kRestart;
    state_ = State::kRestarting;
    until_ = now + outcome.wait;
    return outcome;
  }
  outcome.wait = limits_.cooldown * cooldown_factor_;
  state_ = State::kDisabled;
  until_ = now + outcome.wait;
  return outcome;
}

bool RestartGuard::succeeded(Clock::time_point now) {
  if (state_ != State::kTrial) return false;
  state_ = State::kProbation;
  until_ = now + limits_.fault_window;
  faults_.clear();  // the probation counts afresh
  return true;
}

}  // namespace gw::detectors
