#pragma once
// A camera decoded by VideoDecoder (FFmpeg): a file, an RTSP or HTTP (MJPEG) stream, or a V4L2
// device (`/dev/video0` or `v4l2:0`). One decode thread per camera decodes every frame once,
// keeps frames at the processing rate, resizes them to the processing resolution, and fans each
// kept frame out to every consumer's latest-frame-wins slot.
//
// Stream loss: the camera reports `camera_offline` once, reconnects with exponential backoff
// (1 s doubling to 30 s) and reports `camera_online` when frames flow again. Files end (or loop).
// Health events go through `HealthHandler`, which gatewayd posts into the pipeline so that the
// policy can route them (the municipality maintains the hardware).
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <opencv2/core/mat.hpp>

#include "gateway/core/counters.h"
#include "gateway/pipeline/frame_source.h"
#include "gateway/pipeline/stage.h"
#include "gateway/sources/camera/video_decoder.h"
#include "gateway/v1/data.pb.h"

namespace gw::sources {

struct CameraConfig {
  std::string camera_id;
  std::string uri;                // file path, rtsp://, http://, /dev/videoN or v4l2:N
  double processing_fps = 5;      // frames per second handed to consumers
  int width = 640, height = 360;  // processing resolution (aspect ratio is the operator's call)
  bool realtime = true;           // files: pace at their own frame rate (false: as fast as decoded)
  bool loop = false;              // files: start over at the end
  gateway::v1::Location location{};  // where it stands, for its frame detectors' events
  std::chrono::milliseconds max_backoff{30000};
  // Runs on every kept frame, at the processing resolution, before any consumer gets it: the
  // privacy stage's masks (built by config/, since stages do not include each other).
  std::function<void(cv::Mat&)> privacy_filter{};
};

class CameraSource : public pipeline::Source, public pipeline::FrameSource {
 public:
  using HealthHandler = std::function<void(const gateway::v1::Event&)>;

  CameraSource(CameraConfig config, Counters& counters, HealthHandler on_health = {});
  ~CameraSource() override;

  // Registers a consumer; call before start(). The slot stays valid for the camera's lifetime.
  pipeline::LatestFrameSlot& addConsumer(const std::string& name) override;
  std::string framesCounter() const override;
  const gateway::v1::Location& location() const override { return config_.location; }
  const std::string& id() const override { return config_.camera_id; }
  pipeline::SourceKind kind() const override { return pipeline::SourceKind::kCamera; }
  std::vector<std::string> progressCounters() const override { return {framesCounter()}; }
  pipeline::FrameSource* frames() override { return this; }
  void start() override;
  void stop() override;  // joins the decode thread; closes every slot
  bool finished() const override { return finished_.load(); }
  bool online() const { return online_.load(); }
  uint64_t framesKept() const { return kept_.load(); }

 private:
  void run();
  std::unique_ptr<VideoDecoder> openDecoder(bool live);
  void setOnline(bool online, const std::string& why);

  CameraConfig config_;
  Counters& counters_;
  HealthHandler on_health_;
  std::map<std::string, std::unique_ptr<pipeline::LatestFrameSlot>> consumers_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> online_{false};
  std::atomic<uint64_t> kept_{0};
  bool ever_online_ = false;
};

}  // namespace gw::sources
