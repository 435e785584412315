#pragma once
// The one answer to "is this camera live?", for everyone who asks: the camera (a live stream
// reconnects with backoff, a file ends or loops), the policy loader (a file is found relative to
// the policy) and the dry run (which replays recorded data only).
#include <string_view>

namespace gw::sources {

// Live: a stream URL (rtsp://, http(s)://, udp://, ... anything with a scheme but file://) or a
// V4L2 device (/dev/videoN, v4l2:N). Everything else is a recorded file.
constexpr bool isLiveCameraUri(std::string_view uri) {
  const bool has_scheme = uri.find("://") != std::string_view::npos;
  return (has_scheme && !uri.starts_with("file://")) || uri.starts_with("/dev/") ||
         uri.starts_with("v4l2:");
}

}  // namespace gw::sources
