#pragma once
// Length-prefixed protobuf readings on a byte stream (TCP): each frame is a 4-byte big-endian
// length followed by that many bytes of a serialized gateway.v1.Reading. Feed bytes as they
// arrive; complete frames come out. A frame longer than the limit means the stream cannot be
// trusted to be in sync any more: the decoder reports it and stays failed (close the connection).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/v1/data.pb.h"

namespace gw::sources {

class LengthPrefixedReadingDecoder {
 public:
  explicit LengthPrefixedReadingDecoder(uint32_t max_frame_bytes = 64 * 1024)
      : max_(max_frame_bytes) {}

  // Appends `bytes` and returns every complete frame decoded from the buffer so far.
  // A frame that does not parse as a Reading yields an InvalidArgument entry and decoding goes on.
  std::vector<Result<gateway::v1::Reading>> feed(std::string_view bytes);

  bool failed() const { return failed_; }
  size_t buffered() const { return buffer_.size(); }

  // Encodes one reading as a frame (for senders and tests).
  static std::string encode(const gateway::v1::Reading& reading);

 private:
  uint32_t max_;
  std::string buffer_;
  bool failed_ = false;
};

}  // namespace gw::sources
