#pragma once
// The frames' shared memory file (kHostFrameFd) as the child sees it: mapped read-only, the
// whole file, and mapped again when a frame lies beyond the mapping because gatewayd grew the
// file. A FrameRef is the parent's word only: it is checked against the file's size.
#include <cstddef>
#include <cstdint>

#include "gateway/core/status.h"

namespace gw::detectors {

class FrameMemory {
 public:
  explicit FrameMemory(int fd) : fd_(fd) {}
  ~FrameMemory();
  FrameMemory(const FrameMemory&) = delete;
  FrameMemory& operator=(const FrameMemory&) = delete;

  // The `size` bytes at `offset`, valid until the next call; an error when they are not all
  // inside the file.
  Result<const uint8_t*> bytes(uint64_t offset, uint64_t size);

 private:
  int fd_;
  const uint8_t* base_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace gw::detectors
