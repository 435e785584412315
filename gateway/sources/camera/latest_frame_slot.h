#pragma once
// Backpressure between a camera and one consumer: a single slot where the newest frame replaces
// an untaken older one (latest frame wins). A slow consumer therefore always works on the most
// recent frame and memory never grows; every replaced frame is counted as dropped.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "gateway/pipeline/frame.h"

namespace gw::sources {

class LatestFrameSlot {
 public:
  // Returns true when an untaken frame was replaced (a drop).
  bool put(pipeline::FramePtr frame);
  // The newest frame, or null after `timeout` or once closed.
  pipeline::FramePtr take(std::chrono::milliseconds timeout);
  void close();
  bool closed() const;

  uint64_t offered() const;
  uint64_t dropped() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  pipeline::FramePtr frame_;
  bool closed_ = false;
  uint64_t offered_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace gw::sources
