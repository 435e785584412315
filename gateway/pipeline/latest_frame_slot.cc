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

FramePtr LatestFrameSlot::take(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return frame_ != nullptr || closed_; });
  return std::move(frame_);
}

void LatestFrameSlot::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
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
