#include "gateway/detectors/isolation/host_channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gw::detectors {
namespace {

constexpr size_t kHeader = 4;

int millisUntil(std::chrono::steady_clock::time_point deadline) {
  if (deadline == std::chrono::steady_clock::time_point::max()) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  // Rounded up: poll(0) would spin through the last sub-millisecond.
  return left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
}

}  // namespace

const char* readErrorName(HostChannel::ReadError error) {
  switch (error) {
    case HostChannel::ReadError::kNone:
      return "none";
    case HostChannel::ReadError::kTimeout:
      return "timeout";
    case HostChannel::ReadError::kClosed:
      return "closed";
    case HostChannel::ReadError::kTooLarge:
      return "too_large";
    case HostChannel::ReadError::kGarbage:
      return "garbage";
  }
  return "?";
}

bool HostChannel::write(const google::protobuf::MessageLite& message) {
  const size_t size = message.ByteSizeLong();
  write_buf_.resize(kHeader + size);
  const auto n = static_cast<uint32_t>(size);
  write_buf_[0] = static_cast<char>(n & 0xff);
  write_buf_[1] = static_cast<char>((n >> 8) & 0xff);
  write_buf_[2] = static_cast<char>((n >> 16) & 0xff);
  write_buf_[3] = static_cast<char>((n >> 24) & 0xff);
  if (!message.SerializeToArray(write_buf_.data() + kHeader, static_cast<int>(size))) return false;
  size_t done = 0;
  while (done < write_buf_.size()) {
    // MSG_NOSIGNAL: a dead child must be an error here, not a SIGPIPE for all of gatewayd.
    const ssize_t w = ::send(fd_, write_buf_.data() + done, write_buf_.size() - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

bool HostChannel::fill(size_t want, std::chrono::steady_clock::time_point deadline,
                       std::chrono::steady_clock::time_point spin_until, ReadResult& result) {
  char chunk[65536];
  while (buffer_.size() < want && std::chrono::steady_clock::now() < spin_until) {
    const ssize_t r = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (r > 0) {
      buffer_.append(chunk, static_cast<size_t>(r));
    } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      break;  // closed or failed: the blocking loop below says which
    }
  }
  while (buffer_.size() < want) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, millisUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (std::chrono::steady_clock::now() < deadline) continue;
      result.error = ReadError::kTimeout;
      return false;
    }
    const ssize_t r = ::recv(fd_, chunk, sizeof chunk, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) {
      result.error = ReadError::kClosed;
      result.detail = r < 0 ? std::strerror(errno) : "end of stream";
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(r));
  }
  return true;
}

HostChannel::ReadResult HostChannel::read(google::protobuf::MessageLite& out, size_t max_bytes,
                                          std::chrono::steady_clock::time_point deadline,
                                          std::chrono::microseconds spin) {
  ReadResult result;
  const auto spin_until = std::min(deadline, std::chrono::steady_clock::now() + spin);
  if (!fill(kHeader, deadline, spin_until, result)) return result;
  const auto* b = reinterpret_cast<const unsigned char*>(buffer_.data());
  const size_t size = static_cast<size_t>(b[0]) | (static_cast<size_t>(b[1]) << 8) |
                      (static_cast<size_t>(b[2]) << 16) | (static_cast<size_t>(b[3]) << 24);
  if (size > max_bytes) {
    result.error = ReadError::kTooLarge;
    result.detail = std::to_string(size) + " bytes, the limit is " + std::to_string(max_bytes);
    buffer_.clear();
    return result;
  }
  if (!fill(kHeader + size, deadline, spin_until, result)) return result;
  const bool parsed = out.ParseFromArray(buffer_.data() + kHeader, static_cast<int>(size));
  buffer_.erase(0, kHeader + size);
  if (!parsed) {
    result.error = ReadError::kGarbage;
    result.detail = std::to_string(size) + " bytes that are not a protocol message";
  }
  return result;
}

}  // namespace gw::detectors
