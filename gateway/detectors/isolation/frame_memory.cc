#include "gateway/detectors/isolation/frame_memory.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gw::detectors {

FrameMemory::~FrameMemory() {
  if (base_ != nullptr) ::munmap(const_cast<uint8_t*>(base_), mapped_);
}

Result<const uint8_t*> FrameMemory::bytes(uint64_t offset, uint64_t size) {
  // Written so that no sum can wrap around.
  if (size == 0 || offset > UINT64_MAX - size) return invalidArgument("frame: empty or overflows");
  const uint64_t end = offset + size;
  if (base_ == nullptr || end > mapped_) {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      return invalidArgument(std::string("frame memory: fstat: ") + std::strerror(errno));
    }
    const auto file_size = static_cast<uint64_t>(st.st_size);
    if (end > file_size) {
      return invalidArgument("frame at " + std::to_string(offset) + " + " + std::to_string(size) +
                             " bytes lies outside the frame memory of " +
                             std::to_string(file_size) + " bytes");
    }
    if (base_ != nullptr) ::munmap(const_cast<uint8_t*>(base_), mapped_);
    base_ = nullptr;
    void* map = ::mmap(nullptr, file_size, PROT_READ, MAP_SHARED, fd_, 0);
    if (map == MAP_FAILED) {
      return invalidArgument(std::string("frame memory: mmap: ") + std::strerror(errno));
    }
    base_ = static_cast<const uint8_t*>(map);
    mapped_ = file_size;
  }
  return base_ + offset;
}

}  // namespace gw::detectors
