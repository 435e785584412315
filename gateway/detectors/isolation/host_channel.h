#pragma once
// One end of the socketpair between gatewayd and a detector's child process: messages framed as
// a little-endian uint32 byte count and the protobuf bytes (proto/gateway/v1/detector_host.proto).
// Both ends use it; gatewayd bounds every read by a deadline and a size, because the other end
// may be a crashed, hung or hostile plugin.
#include <google/protobuf/message_lite.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace gw::detectors {

class HostChannel {
 public:
  enum class ReadError {
    kNone,
    kTimeout,   // nothing complete arrived before the deadline
    kClosed,    // the other end closed (or died) before a whole message arrived
    kTooLarge,  // the byte count is over the limit: not a protocol message
    kGarbage,   // the bytes do not parse as the expected message
  };
  struct ReadResult {
    ReadError error = ReadError::kNone;
    std::string detail;  // for the log: the byte count, errno text
  };

  explicit HostChannel(int fd) : fd_(fd) {}
  int fd() const { return fd_; }

  // Writes the whole message; false when the other end is gone (EPIPE, never SIGPIPE).
  bool write(const google::protobuf::MessageLite& message);
  // Reads one message into `out`, waiting until `deadline` at most; larger than `max_bytes` is
  // an error. A deadline of time_point::max() waits for ever (the child waiting for calls).
  // For the first `spin` it polls the socket without sleeping (spin_rhythm.h says when that
  // pays).
  ReadResult read(google::protobuf::MessageLite& out, size_t max_bytes,
                  std::chrono::steady_clock::time_point deadline,
                  std::chrono::microseconds spin = std::chrono::microseconds(0));

 private:
  // Fills buffer_ until it holds `want` bytes; false on timeout or close (error set).
  bool fill(size_t want, std::chrono::steady_clock::time_point deadline,
            std::chrono::steady_clock::time_point spin_until, ReadResult& result);

  int fd_;
  std::string buffer_;     // bytes read but not yet consumed (a read may bring more than one)
  std::string write_buf_;  // reused, so a call allocates nothing in the steady state
};

const char* readErrorName(HostChannel::ReadError error);

}  // namespace gw::detectors
