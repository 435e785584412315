#include "gateway/sources/sensor/formats/length_prefixed_readings.h"

namespace gw::sources {

std::vector<Result<gateway::v1::Reading>> LengthPrefixedReadingDecoder::feed(
    std::string_view bytes) {
  std::vector<Result<gateway::v1::Reading>> out;
  if (failed_) return out;
  buffer_.append(bytes);
  size_t pos = 0;
  while (buffer_.size() - pos >= 4) {
    const auto* p = reinterpret_cast<const uint8_t*>(buffer_.data() + pos);
    const uint32_t length =
        (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    if (length > max_) {
      failed_ = true;
      out.push_back(invalidArgument("frame of " + std::to_string(length) +
                                    " bytes exceeds the limit of " + std::to_string(max_)));
      buffer_.clear();
      return out;
    }
    if (buffer_.size() - pos - 4 < length) break;
    gateway::v1::Reading reading;
    if (reading.ParseFromArray(buffer_.data() + pos + 4, static_cast<int>(length))) {
      out.push_back(std::move(reading));
    } else {
      out.push_back(
          invalidArgument("frame of " + std::to_string(length) + " bytes is not a Reading"));
    }
    pos += 4 + length;
  }
  buffer_.erase(0, pos);
  return out;
}

std::string LengthPrefixedReadingDecoder::encode(const gateway::v1::Reading& reading) {
  const std::string body = reading.SerializeAsString();
  const auto n = static_cast<uint32_t>(body.size());
  std::string frame{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                    static_cast<char>(n >> 8), static_cast<char>(n)};
  return frame + body;
}

}  // namespace gw::sources
