#pragma once
// A decoded camera frame at the processing resolution. Decoded once per camera and shared,
// immutable, by every consumer (privacy, detectors): consumers hold a FramePtr only as long as
// they work on it.
#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace gw::pipeline {

struct Frame {
  std::string camera_id;
  uint64_t sequence = 0;           // per camera, counts decoded frames kept for processing
  int64_t captured_unix_ms = 0;    // wall clock when decoded (streams) or stream position (files)
  int64_t stream_position_ms = 0;  // position in the stream/file
  cv::Mat image;                   // BGR, 8 bit
};

using FramePtr = std::shared_ptr<const Frame>;

}  // namespace gw::pipeline
