#include "gateway/pipeline/latest_frame_slot.h"

namespace gw::pipeline {

bool LatestFrameSlot::put(FramePtr frame) {
  bool replaced = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    ++offered_;
    replaced = frame_ != nullptr;
    if (replaced) ++dropped_;
    frame_ = std::move(frame);
  }
  ready_.notify_one();
  return replaced;
}

bool LatestFrameSlot::putWhenTaken(FramePtr frame, const std::atomic<bool>& stop,
                                   std::chrono::milliseconds patience) {
  {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + patience;
    // Short waits so that `stop`, which nobody signals through this condition, is seen soon.
    while (frame_ != nullptr && !closed_ && !stop.load() &&
           std::chrono::steady_clock::now() < deadline) {
      taken_.wait_for(lock, std::chrono::milliseconds(50));
    }
  }
  return put(std::move(frame));
}

FramePtr LatestFrameSlot::take(std::chrono::milliseconds timeout) {
  FramePtr frame;
  {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [this] { return frame_ != nullptr || closed_; });
    frame = std::move(frame_);
  }
  if (frame) taken_.notify_all();
  return frame;
}

void LatestFrameSlot::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
  taken_.notify_all();
}

bool LatestFrameSlot::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

uint64_t LatestFrameSlot::offered() const {
  std::lock_guard lock(mutex_);
  return offered_;
}

uint64_t LatestFrameSlot::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace gw::pipeline
