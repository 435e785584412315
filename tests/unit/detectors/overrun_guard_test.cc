// The host's overrun state machine (gateway/detectors/host/overrun_guard.h) on plain time points:
// every transition of the table in its header, with the defaults the host runs with.
#include "gateway/detectors/host/overrun_guard.h"

#include <gtest/gtest.h>

#include <vector>

namespace gw::detectors {
namespace {

using namespace std::chrono_literals;
using Guard = OverrunGuard;
using Input = Guard::Input;
using Admission = Guard::Admission;
using Transition = Guard::Transition;
using State = Guard::State;

// Drives a guard through calls on a timeline that starts at an arbitrary steady-clock time.
class Timeline {
 public:
  explicit Timeline(OverrunLimits limits = {}) : guard(limits) {}

  // A call of `input` at the current time taking `took`; the time moves past it. Returns the
  // outcome, or nothing when the guard skipped the call (then the time does not move).
  std::optional<Guard::Outcome> call(Input input, Guard::Clock::duration took) {
    if (guard.admit(input, now) != Admission::kCall) return std::nullopt;
    const auto start = now;
    now += took;
    return guard.record(input, start, now);
  }
  Admission admit(Input input) const { return guard.admit(input, now); }
  State state() const { return guard.state(now); }
  void wait(Guard::Clock::duration d) { now += d; }

  Guard guard;
  Guard::Clock::time_point now = Guard::Clock::time_point(1000h);
};

constexpr auto kFast = 10ms;
constexpr auto kSlow = 300ms;  // over the default 200 ms budget

TEST(OverrunGuardTest, CallsWithinBudgetAreAllMade) {
  Timeline t;
  for (int i = 0; i < 100; ++i) {
    auto out = t.call(i % 2 ? Input::kFrame : Input::kReading, 200ms);  // the budget itself is in
    ASSERT_TRUE(out);
    EXPECT_EQ(out->transition, Transition::kNone);
    EXPECT_FALSE(out->overran);
  }
  EXPECT_EQ(t.state(), State::kRunning);
}

TEST(OverrunGuardTest, AFrameOverrunSkipsFramesForOneSecondThenTriesAgain) {
  Timeline t;
  auto out = t.call(Input::kFrame, kSlow);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->overran);
  EXPECT_EQ(out->transition, Transition::kOverran);
  EXPECT_EQ(out->wait, 1s);
  EXPECT_EQ(t.state(), State::kBackingOff);
  EXPECT_EQ(t.admit(Input::kFrame), Admission::kSkipBackoff);
  t.wait(999ms);
  EXPECT_EQ(t.admit(Input::kFrame), Admission::kSkipBackoff);
  t.wait(1ms);  // the backoff runs from the end of the call that overran
  EXPECT_EQ(t.state(), State::kRunning);
  EXPECT_EQ(t.admit(Input::kFrame), Admission::kCall);
}

TEST(OverrunGuardTest, TheBackoffDoublesOnRepeatedOverrunsUpTo30SecondsAndResetsAfterAGoodCall) {
  OverrunLimits limits;
  limits.overrun_limit = 1000;  // this test is about the backoff alone
  Timeline t(limits);
  std::vector<Guard::Clock::duration> waits;
  for (int i = 0; i < 8; ++i) {
    auto out = t.call(Input::kFrame, kSlow);
    ASSERT_TRUE(out) << "call " << i << " was skipped";
    waits.push_back(out->wait);
    EXPECT_FALSE(t.call(Input::kFrame, kFast)) << "skipped while backing off";
    t.wait(out->wait);
  }
  EXPECT_EQ(waits, (std::vector<Guard::Clock::duration>{1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s}));

  ASSERT_TRUE(t.call(Input::kFrame, kFast));  // within budget: back to the first backoff
  auto out = t.call(Input::kFrame, kSlow);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->wait, 1s);
}

TEST(OverrunGuardTest, ReadingsAreNeverSkippedOnAnOverrun) {
  Timeline t;
  auto out = t.call(Input::kReading, kSlow);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->transition, Transition::kOverran);
  EXPECT_EQ(out->wait, 0s) << "a reading overrun starts no backoff";
  EXPECT_EQ(t.state(), State::kRunning);
  EXPECT_EQ(t.admit(Input::kReading), Admission::kCall);
  EXPECT_EQ(t.admit(Input::kFrame), Admission::kCall);

  // Nor while a frame overrun of the same instance backs off.
  ASSERT_TRUE(t.call(Input::kFrame, kSlow));
  EXPECT_EQ(t.admit(Input::kFrame), Admission::kSkipBackoff);
  EXPECT_EQ(t.admit(Input::kReading), Admission::kCall);
}

TEST(OverrunGuardTest, FiveOverrunsWithinAMinuteDisableForThirtySeconds) {
  Timeline t;
  for (int i = 1; i <= 4; ++i) {
    auto out = t.call(Input::kFrame, kSlow);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->transition, Transition::kOverran);
    EXPECT_EQ(out->overruns_in_window, i);
    t.wait(out->wait);
  }
  auto out = t.call(Input::kFrame, kSlow);  // 1 + 2 + 4 + 8 s of backoff: well within 60 s
  ASSERT_TRUE(out);
  EXPECT_EQ(out->transition, Transition::kDisabled);
  EXPECT_EQ(out->overruns_in_window, 5);
  EXPECT_EQ(out->wait, 30s);
  EXPECT_TRUE(t.guard.disabled());
  EXPECT_EQ(t.state(), State::kDisabled);
  EXPECT_EQ(t.admit(Input::kFrame), Admission::kSkipDisabled);
  EXPECT_EQ(t.admit(Input::kReading), Admission::kSkipDisabled) << "disabled means no call at all";
  t.wait(30s - 1ms);
  EXPECT_EQ(t.admit(Input::kReading), Admission::kSkipDisabled);
  t.wait(1ms);
  EXPECT_EQ(t.admit(Input::kReading), Admission::kCall) << "the trial";
}

TEST(OverrunGuardTest, OverrunsFurtherApartThanTheWindowNeverDisable) {
  Timeline t;
  for (int i = 0; i < 20; ++i) {
    auto out = t.call(Input::kReading, kSlow);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->transition, Transition::kOverran) << "overrun " << i;
    EXPECT_LE(out->overruns_in_window, 4);
    t.wait(15s);  // 4 overruns in any 60 s, never 5
  }
}

TEST(OverrunGuardTest, RepeatedReadingOverrunsDisableToo) {
  OverrunLimits limits;
  limits.overrun_limit = 3;
  limits.overrun_window = 10s;
  Timeline t(limits);
  EXPECT_EQ(t.call(Input::kReading, kSlow)->transition, Transition::kOverran);
  EXPECT_EQ(t.call(Input::kReading, kFast)->transition, Transition::kNone);
  EXPECT_EQ(t.call(Input::kReading, kSlow)->transition, Transition::kOverran);
  EXPECT_EQ(t.call(Input::kReading, kSlow)->transition, Transition::kDisabled);
  EXPECT_FALSE(t.call(Input::kReading, kFast)) << "skipped while disabled";
}

// Disables `t` from RUNNING with the given limits' overrun_limit overruns, readings so that no
// backoff is in the way.
void disableFromRunning(Timeline& t) {
  Guard::Outcome out;
  do {
    auto made = t.call(Input::kReading, kSlow);
    ASSERT_TRUE(made);
    out = *made;
  } while (out.transition == Transition::kOverran);
  ASSERT_EQ(out.transition, Transition::kDisabled);
}

TEST(OverrunGuardTest, ATrialWithinBudgetEnablesOnProbationAndAnOverrunThenDisablesForLonger) {
  Timeline t;
  disableFromRunning(t);
  t.wait(30s);
  auto trial = t.call(Input::kFrame, kFast);
  ASSERT_TRUE(trial);
  EXPECT_EQ(trial->transition, Transition::kEnabled);
  EXPECT_EQ(trial->wait, 60s) << "probation lasts one overrun window";
  EXPECT_FALSE(t.guard.disabled());
  EXPECT_EQ(t.state(), State::kProbation);
  EXPECT_EQ(t.admit(Input::kFrame), Admission::kCall);

  t.wait(59s);
  auto out = t.call(Input::kFrame, kSlow);  // one overrun on probation is enough
  ASSERT_TRUE(out);
  EXPECT_EQ(out->transition, Transition::kDisabled);
  EXPECT_EQ(out->wait, 60s) << "the second disable lasts twice the first";
  EXPECT_EQ(t.state(), State::kDisabled);
}

TEST(OverrunGuardTest, ATrialThatOverrunsStaysDisabledUnannouncedWithTheCooldownDoublingTo300s) {
  Timeline t;
  disableFromRunning(t);
  std::vector<Guard::Clock::duration> cooldowns = {30s};
  for (int i = 0; i < 6; ++i) {
    t.wait(cooldowns.back());
    auto trial = t.call(Input::kFrame, kSlow);
    ASSERT_TRUE(trial);
    EXPECT_EQ(trial->transition, Transition::kStillDisabled);
    cooldowns.push_back(trial->wait);
  }
  EXPECT_EQ(cooldowns,
            (std::vector<Guard::Clock::duration>{30s, 60s, 120s, 240s, 300s, 300s, 300s}));
  EXPECT_EQ(t.admit(Input::kReading), Admission::kSkipDisabled);
}

TEST(OverrunGuardTest, AClearProbationReturnsToRunningAndTheNextDisableIsShortAgain) {
  Timeline t;
  disableFromRunning(t);
  t.wait(30s);
  ASSERT_EQ(t.call(Input::kFrame, kFast)->transition, Transition::kEnabled);
  EXPECT_EQ(t.state(), State::kProbation);
  t.wait(60s);
  EXPECT_EQ(t.state(), State::kRunning);
  // Back in RUNNING one overrun only backs off again...
  auto out = t.call(Input::kReading, kSlow);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->transition, Transition::kOverran);
  // ... the limit disables, for the base cool-down: the clean probation forgave the first.
  disableFromRunning(t);
  t.wait(30s - 1ms);
  EXPECT_EQ(t.admit(Input::kReading), Admission::kSkipDisabled);
  t.wait(1ms);
  EXPECT_EQ(t.admit(Input::kReading), Admission::kCall);
}

TEST(OverrunGuardTest, AfterBeingEnabledTheBackoffStartsAtOneSecondAgain) {
  OverrunLimits limits;
  limits.overrun_limit = 4;
  Timeline t(limits);
  for (int i = 0; i < 3; ++i) t.wait(t.call(Input::kFrame, kSlow)->wait);  // 1, 2, 4 s
  ASSERT_EQ(t.call(Input::kFrame, kSlow)->transition, Transition::kDisabled);
  t.wait(30s);
  ASSERT_EQ(t.call(Input::kFrame, kFast)->transition, Transition::kEnabled);
  t.wait(60s);  // probation over
  auto out = t.call(Input::kFrame, kSlow);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->transition, Transition::kOverran);
  EXPECT_EQ(out->wait, 1s);
}

}  // namespace
}  // namespace gw::detectors
