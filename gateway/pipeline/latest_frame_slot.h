#pragma once
// The camera -> detector edge: a single slot where the newest frame replaces an untaken older one
// (latest frame wins). A slow consumer therefore always works on the most recent frame and memory
// never grows; every replaced frame is counted as dropped. A file played as fast as it decodes
// (no real-time pacing: a replay at full speed) uses putWhenTaken() instead, so that what the
// detectors see does not depend on how fast the box is. Thread-safe: the camera's decode thread
// puts, one frame worker takes.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "gateway/pipeline/frame.h"

namespace gw::pipeline {

class LatestFrameSlot {
 public:
  // Returns true when an untaken frame was replaced (a drop).
  bool put(FramePtr frame);
  // Waits until the previous frame was taken (or the slot closed, or `stop` set, or `patience`
  // passed: a consumer that stopped taking must not stall the camera), then puts. Returns true
  // when it had to replace an untaken frame after all.
  bool putWhenTaken(FramePtr frame, const std::atomic<bool>& stop,
                    std::chrono::milliseconds patience);
  // The newest frame, or null after `timeout` or once closed.
  FramePtr take(std::chrono::milliseconds timeout);
  void close();
  bool closed() const;

  uint64_t offered() const;
  uint64_t dropped() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable taken_;
  FramePtr frame_;
  bool closed_ = false;
  uint64_t offered_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace gw::pipeline
