#pragma once
// Frames for a detector's child process, in shared memory: a memfd of two slots that the child
// maps read-only. A frame is copied into the slot the child is not reading and the call names it
// (FrameRef), so the socket carries a few dozen bytes per frame instead of the pixels. Calls are
// one at a time and the frame worker always hands over the newest frame, so two slots are enough
// and there is never a queue of stale frames: the newest wins.
#include <cstddef>
#include <cstdint>

#include "gateway/core/status.h"
#include "gateway/pipeline/frame.h"
#include "gateway/v1/detector_host.pb.h"

namespace gw::detectors {

class FrameRing {
 public:
  // A new, empty memfd (close-on-exec; the spawn hands it to the child as fd 4).
  static Result<FrameRing> create(const std::string& name);
  FrameRing(FrameRing&& other) noexcept;
  FrameRing& operator=(FrameRing&& other) noexcept;
  FrameRing(const FrameRing&) = delete;
  FrameRing& operator=(const FrameRing&) = delete;
  ~FrameRing();

  int fd() const { return fd_; }
  // Copies `frame` into the next slot (growing the file when the frame is larger than a slot)
  // and fills `ref` with where it is.
  Status put(const pipeline::Frame& frame, gateway::v1::FrameRef& ref);

 private:
  FrameRing() = default;
  void unmap();

  int fd_ = -1;
  uint8_t* map_ = nullptr;
  size_t slot_bytes_ = 0;  // each of the two slots; the file is twice this
  int next_ = 0;
};

}  // namespace gw::detectors
