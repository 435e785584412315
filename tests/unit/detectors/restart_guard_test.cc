// The restart state machine of a detector's child process (host/restart_guard.h) with plain time
// points: every transition of its table, the backoff's doubling and cap, the cool-down's
// doubling and reset after a clean probation.
#include "gateway/detectors/host/restart_guard.h"

#include <gtest/gtest.h>

namespace gw::detectors {
namespace {

using namespace std::chrono_literals;
using Admission = RestartGuard::Admission;
using State = RestartGuard::State;
using Transition = RestartGuard::Transition;

class RestartGuardTest : public ::testing::Test {
 protected:
  RestartGuard::Clock::time_point t0_ = RestartGuard::Clock::time_point(1000h);
  RestartGuard guard_{RestartLimits{}};  // 5 faults in 300 s, cool-down 60 s, backoff 1..30 s
};

TEST_F(RestartGuardTest, AFaultRestartsAfterABackoffThatDoublesPerFaultInTheWindow) {
  EXPECT_EQ(guard_.admit(t0_), Admission::kCall);
  auto first = guard_.fault(t0_);
  EXPECT_EQ(first.transition, Transition::kRestart);
  EXPECT_EQ(first.wait, 1s);
  EXPECT_EQ(first.faults_in_window, 1);
  EXPECT_EQ(guard_.admit(t0_ + 999ms), Admission::kSkipRestarting);
  EXPECT_EQ(guard_.admit(t0_ + 1s), Admission::kStart);
  EXPECT_EQ(guard_.admit(t0_ + 1s), Admission::kCall);
  auto second = guard_.fault(t0_ + 2s);
  EXPECT_EQ(second.transition, Transition::kRestart);
  EXPECT_EQ(second.wait, 2s);
  auto third = guard_.fault(t0_ + 10s);
  EXPECT_EQ(third.wait, 4s);
}

TEST_F(RestartGuardTest, TheBackoffIsCappedAndFaultsOutsideTheWindowAreForgotten) {
  RestartLimits limits;
  limits.fault_limit = 100;
  RestartGuard guard(limits);
  RestartGuard::Outcome last{};
  for (int i = 0; i < 10; ++i) last = guard.fault(t0_ + std::chrono::seconds(i));
  EXPECT_EQ(last.wait, 30s);
  // 300 s after the last, the window is empty again: back to 1 s.
  EXPECT_EQ(guard.fault(t0_ + 310s).wait, 1s);
}

TEST_F(RestartGuardTest, TheLimitDisablesThenATrialThatAnswersEnablesOnProbation) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(guard_.fault(t0_ + std::chrono::seconds(i)).transition, Transition::kRestart);
  }
  auto disabled = guard_.fault(t0_ + 4s);
  EXPECT_EQ(disabled.transition, Transition::kDisabled);
  EXPECT_EQ(disabled.wait, 60s);
  EXPECT_EQ(disabled.faults_in_window, 5);
  EXPECT_TRUE(guard_.disabled());
  EXPECT_EQ(guard_.admit(t0_ + 63s), Admission::kSkipDisabled);
  EXPECT_EQ(guard_.admit(t0_ + 64s), Admission::kStart);
  EXPECT_EQ(guard_.state(t0_ + 64s), State::kTrial);
  EXPECT_TRUE(guard_.succeeded(t0_ + 64s));
  EXPECT_FALSE(guard_.succeeded(t0_ + 65s));  // announced once
  EXPECT_EQ(guard_.state(t0_ + 65s), State::kProbation);
  EXPECT_EQ(guard_.state(t0_ + 64s + 300s), State::kRunning);
}

TEST_F(RestartGuardTest, AFailedTrialStaysDisabledForTwiceAsLongWithoutAnEvent) {
  for (int i = 0; i < 5; ++i) guard_.fault(t0_);
  EXPECT_EQ(guard_.admit(t0_ + 60s), Admission::kStart);
  auto again = guard_.fault(t0_ + 60s);
  EXPECT_EQ(again.transition, Transition::kStillDisabled);
  EXPECT_EQ(again.wait, 120s);
  EXPECT_EQ(guard_.admit(t0_ + 179s), Admission::kSkipDisabled);
  EXPECT_EQ(guard_.admit(t0_ + 180s), Admission::kStart);
  // Doubling stops at 10x the cool-down.
  for (int i = 0; i < 10; ++i) {
    auto outcome = guard_.fault(t0_ + 180s);
    EXPECT_LE(outcome.wait, 600s);
    guard_.admit(t0_ + 10000s);
  }
}

TEST_F(RestartGuardTest, AFaultOnProbationDisablesAtOnceWithAnEvent) {
  for (int i = 0; i < 5; ++i) guard_.fault(t0_);
  guard_.admit(t0_ + 60s);
  ASSERT_TRUE(guard_.succeeded(t0_ + 60s));
  auto outcome = guard_.fault(t0_ + 100s);
  EXPECT_EQ(outcome.transition, Transition::kDisabled);
  EXPECT_EQ(outcome.wait, 120s);
}

TEST_F(RestartGuardTest, ACleanProbationResetsTheCooldown) {
  for (int i = 0; i < 5; ++i) guard_.fault(t0_);
  guard_.admit(t0_ + 60s);
  ASSERT_TRUE(guard_.succeeded(t0_ + 60s));
  EXPECT_EQ(guard_.admit(t0_ + 400s), Admission::kCall);  // probation over: running
  for (int i = 0; i < 4; ++i) guard_.fault(t0_ + 400s);
  auto outcome = guard_.fault(t0_ + 400s);
  EXPECT_EQ(outcome.transition, Transition::kDisabled);
  EXPECT_EQ(outcome.wait, 60s);
}

}  // namespace
}  // namespace gw::detectors
