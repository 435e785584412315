#pragma once
// One video input decoded with FFmpeg's libraries directly: a file, an RTSP or HTTP (MJPEG)
// stream, or a V4L2 device (`/dev/video0` or `v4l2:0`).
//
// Why not cv::VideoCapture (decision 1003): OpenCV 4.6's FFmpeg backend decodes with one frame
// thread per CPU and offers no way to lower it, which costs ~22 MiB per 720p camera, and linking
// its videoio module maps ~240 libraries (~40 MiB resident before any work). Here the decoder
// runs on one thread (a box with several cameras already decodes them in parallel), and
// colour conversion and scaling happen in one libswscale pass, only for the frames kept.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "gateway/core/status.h"

namespace gw::sources {

struct DecoderOptions {
  // Open and each read may take at most this long; a stream that stays connected but sends
  // nothing must not block the decode thread forever. Zero: no limit (files).
  std::chrono::milliseconds open_timeout{0};
  std::chrono::milliseconds read_timeout{0};
  // Set by the owner to abandon a blocking open or read at once (shutdown).
  const std::atomic<bool>* abort = nullptr;
};

class VideoDecoder {
 public:
  // Opens `uri` and its best video stream. NotFound for a missing file, Unavailable for a
  // stream that cannot be reached, InvalidArgument for an input without a decodable video stream.
  static Result<std::unique_ptr<VideoDecoder>> open(const std::string& uri,
                                                    const DecoderOptions& options);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // Decodes the next frame without converting it. False at the end of the input, on a timeout
  // or on an error that ends the stream; error() then says which ("" at a clean end).
  bool grab();
  // The grabbed frame as BGR at `width` x `height` (0 x 0: the stream's own size).
  bool retrieve(cv::Mat& bgr, int width = 0, int height = 0);

  // Presentation time of the grabbed frame from the start of the stream.
  double positionMs() const { return position_ms_; }
  // The stream's nominal frame rate; 0 when the container does not say.
  double fps() const { return fps_; }
  int width() const;
  int height() const;
  // Packets the decoder refused (corrupt data); decoding goes on with the next one.
  uint64_t corruptPackets() const { return corrupt_packets_; }
  const std::string& error() const { return error_; }

 private:
  struct Impl;
  explicit VideoDecoder(std::unique_ptr<Impl> impl);
  bool readPacketIntoDecoder();

  std::unique_ptr<Impl> impl_;
  double position_ms_ = 0;
  double fps_ = 0;
  uint64_t frames_ = 0;
  uint64_t corrupt_packets_ = 0;
  bool draining_ = false;
  std::string error_;
};

}  // namespace gw::sources
