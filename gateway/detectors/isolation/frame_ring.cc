#include "gateway/detectors/isolation/frame_ring.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "gateway/detectors/api/gw_detector_api.h"

namespace gw::detectors {

Result<FrameRing> FrameRing::create(const std::string& name) {
  FrameRing ring;
  ring.fd_ = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (ring.fd_ < 0) return internalError(std::string("memfd_create: ") + std::strerror(errno));
  // The child gets this file too: sealed against shrinking, it cannot cut it short under
  // gatewayd's mapping, which would end gatewayd with SIGBUS at the next frame it writes.
  if (::fcntl(ring.fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
    return internalError(std::string("sealing the frame ring: ") + std::strerror(errno));
  }
  return ring;
}

FrameRing::FrameRing(FrameRing&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      map_(std::exchange(other.map_, nullptr)),
      slot_bytes_(std::exchange(other.slot_bytes_, 0)),
      next_(other.next_) {}

FrameRing& FrameRing::operator=(FrameRing&& other) noexcept {
  if (this != &other) {
    unmap();
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    map_ = std::exchange(other.map_, nullptr);
    slot_bytes_ = std::exchange(other.slot_bytes_, 0);
    next_ = other.next_;
  }
  return *this;
}

FrameRing::~FrameRing() {
  unmap();
  if (fd_ >= 0) ::close(fd_);
}

void FrameRing::unmap() {
  if (map_ != nullptr) ::munmap(map_, 2 * slot_bytes_);
  map_ = nullptr;
}

Status FrameRing::put(const pipeline::Frame& frame, gateway::v1::FrameRef& ref) {
  const cv::Mat& image = frame.image;
  const size_t row_bytes = image.cols * image.elemSize();
  const size_t bytes = row_bytes * static_cast<size_t>(image.rows);
  if (bytes > slot_bytes_) {
    // Grown, never shrunk: a camera's frames keep one size, and the child maps the new size
    // when a FrameRef points beyond what it has mapped.
    unmap();
    const size_t slot = (bytes + 4095) & ~size_t{4095};
    if (::ftruncate(fd_, static_cast<off_t>(2 * slot)) != 0) {
      return internalError(std::string("ftruncate of the frame ring: ") + std::strerror(errno));
    }
    void* map = ::mmap(nullptr, 2 * slot, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (map == MAP_FAILED) {
      return internalError(std::string("mmap of the frame ring: ") + std::strerror(errno));
    }
    map_ = static_cast<uint8_t*>(map);
    slot_bytes_ = slot;
  }
  const size_t offset = static_cast<size_t>(next_) * slot_bytes_;
  next_ = 1 - next_;
  // Rows packed: the child gets stride == row bytes whatever the Mat's own step is.
  if (image.isContinuous()) {
    std::memcpy(map_ + offset, image.data, bytes);
  } else {
    for (int y = 0; y < image.rows; ++y) {
      std::memcpy(map_ + offset + y * row_bytes, image.ptr(y), row_bytes);
    }
  }
  ref.set_offset(offset);
  ref.set_width(image.cols);
  ref.set_height(image.rows);
  ref.set_stride(static_cast<int32_t>(row_bytes));
  ref.set_pixel_format(image.channels() == 1 ? GW_PIXEL_GRAY8 : GW_PIXEL_BGR8);
  ref.set_captured_unix_ms(frame.captured_unix_ms);
  ref.set_source_id(frame.camera_id);
  ref.set_stream_position_ms(frame.stream_position_ms);
  return okStatus();
}

}  // namespace gw::detectors
