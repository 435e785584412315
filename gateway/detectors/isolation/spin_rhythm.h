#pragma once
// When the two ends of a detector's socket spin instead of sleeping. On this kind of box (a
// virtual machine) a sleeping process is woken by an interrupt to another CPU that costs tens of
// microseconds, while one that polls sees the message in a few (measured here: 47 us per round
// trip asleep, 3.3 us spinning); but spinning while the other end sleeps only burns CPU and can
// keep the woken child off the CPU it was woken onto (119 us per call instead of 19 at 1,000
// calls/s). So the child spins for the next call only in a burst (the last call came within the
// spin window of the reply before it), and the parent spins for a reply only when the child is
// spinning now. Both ends keep one of these, fed with their own clocks' times of the same
// calls and replies, so they agree without a word about it on the socket. Decision 1420.
#include <chrono>

namespace gw::detectors {

class SpinRhythm {
 public:
  using Clock = std::chrono::steady_clock;
  // How long either end polls before it sleeps: a reading detector's reply, and the next call of
  // a burst, come well within it; the cost is at most this much CPU per call.
  static constexpr std::chrono::microseconds kSpin{50};

  // A call was sent (parent) or arrived (child).
  void call(Clock::time_point at) { burst_ = at - last_reply_ < kSpin; }
  // The reply was read (parent) or sent (child).
  void reply(Clock::time_point at) { last_reply_ = at; }
  // The child: how long to poll for the next call.
  std::chrono::microseconds childSpin() const {
    return burst_ ? kSpin : std::chrono::microseconds(0);
  }
  // The parent, before call(): how long to poll for this call's reply.
  std::chrono::microseconds parentSpin(Clock::time_point at) const {
    return burst_ && at - last_reply_ < kSpin ? kSpin : std::chrono::microseconds(0);
  }

 private:
  Clock::time_point last_reply_{};
  bool burst_ = false;
};

}  // namespace gw::detectors
