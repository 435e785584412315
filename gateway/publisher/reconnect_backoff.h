#pragma once
// Delay before the next reconnect attempt: exponential from `min` to `max`, with jitter. The
// first attempt after a loss waits between min/2 and min, the n-th between d/2 and d with
// d = min * 2^(n-1), capped at max.
//
// Why jitter: after a broker restart every gateway of a city reconnects at once; identical
// exponential schedules keep them in lock step and the broker sees a thundering herd at every
// step. "Equal jitter" draws each delay uniformly from [d/2, d], where d doubles per failed
// attempt: still at least half the exponential delay (the backoff stays meaningful), never more
// than d (the bound an operator configures), and spread out between gateways.
#include <chrono>
#include <cstdint>
#include <random>

namespace gw::publisher {

class ReconnectBackoff {
 public:
  ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max,
                   uint64_t seed = std::random_device{}());

  // The delay to wait before the next attempt; each call doubles the base, up to `max`.
  std::chrono::milliseconds next();
  // After a successful connect: the next failure starts again at `min`.
  void reset() { base_ = min_; }
  // The un-jittered delay the next call will draw below.
  std::chrono::milliseconds base() const { return base_; }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds base_;
  std::mt19937_64 random_;
};

}  // namespace gw::publisher
