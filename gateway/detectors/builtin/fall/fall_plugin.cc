// The fall detector behind the C ABI, written with the plugin SDK like any out-of-tree detector
// and linked statically (builtin_tables.h).
#include <opencv2/core.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "gateway/detectors/builtin/builtin_tables.h"
#include "gateway/detectors/builtin/fall/fall_detector.h"
#include "gateway/detectors/sdk/lantaarn_detector.hpp"

namespace gw::detectors::fall {
namespace {

double number(const lantaarn::Params& params, const std::string& key, double fallback) {
  auto it = params.find(key);
  if (it == params.end() || it->second.empty()) return fallback;
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != it->second.size() || !(value >= 0)) {
    throw std::invalid_argument("fall detector: " + key + " must be a number >= 0, not '" +
                                it->second + "'");
  }
  // Zero is proto3's "not set": keep the default.
  return value == 0 ? fallback : value;
}

FallParams paramsFrom(const lantaarn::Params& params) {
  FallParams p;
  for (const auto& [key, value] : params) {
    static const char* const kKnown[] = {
        "work_width",          "background_seconds", "min_area_fraction",
        "fall_window_seconds", "min_drop",           "max_lying_height",
        "lying_aspect",        "confirm_seconds",    "max_still_motion",
        "cooldown_seconds",    "pose_min_drop",      "pose_max_lying_extent",
        "pose_upright_extent", "min_person_height"};
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    if (!known) throw std::invalid_argument("fall detector: unknown parameter '" + key + "'");
  }
  p.work_width = static_cast<int>(number(params, "work_width", p.work_width));
  p.background_seconds = number(params, "background_seconds", p.background_seconds);
  p.min_area_fraction = number(params, "min_area_fraction", p.min_area_fraction);
  p.fall_window_seconds = number(params, "fall_window_seconds", p.fall_window_seconds);
  p.min_drop = number(params, "min_drop", p.min_drop);
  p.max_lying_height = number(params, "max_lying_height", p.max_lying_height);
  p.lying_aspect = number(params, "lying_aspect", p.lying_aspect);
  p.confirm_seconds = number(params, "confirm_seconds", p.confirm_seconds);
  p.max_still_motion = number(params, "max_still_motion", p.max_still_motion);
  p.cooldown_seconds = number(params, "cooldown_seconds", p.cooldown_seconds);
  p.pose_min_drop = number(params, "pose_min_drop", p.pose_min_drop);
  p.pose_max_lying_extent = number(params, "pose_max_lying_extent", p.pose_max_lying_extent);
  p.pose_upright_extent = number(params, "pose_upright_extent", p.pose_upright_extent);
  p.min_person_height = number(params, "min_person_height", p.min_person_height);
  if (p.work_width < 32) throw std::invalid_argument("fall detector: work_width must be >= 32");
  return p;
}

class FallPluginDetector : public lantaarn::Detector {
 public:
  explicit FallPluginDetector(const lantaarn::Params& params)
      : params_(paramsFrom(params)), decider_(params_) {
    // The pose model is loaded here, not on the first frame: creating a detector is not timed,
    // a call is (its budget), and loading the network takes longer than a frame may.
    auto observer = FallObserver::create(params_);
    if (!observer.ok())
      throw std::invalid_argument("fall detector: " + observer.status().message());
    observer_ = std::move(observer).value();
  }

  void onFrame(const gw_frame_view& frame, lantaarn::Emitter& emit) override {
    if (frame.data == nullptr || frame.width <= 0 || frame.height <= 0) return;
    const int type = frame.pixel_format == GW_PIXEL_GRAY8 ? CV_8UC1 : CV_8UC3;
    // The frame is lent read-only for this call; OpenCV's header wants a non-const pointer.
    const cv::Mat image(frame.height, frame.width, type, const_cast<uint8_t*>(frame.data),
                        static_cast<size_t>(frame.stride));
    const bool has_position =
        frame.struct_size >= offsetof(gw_frame_view, stream_position_ms) + sizeof(int64_t);
    const int64_t t = has_position ? frame.stream_position_ms : frame.captured_unix_ms;
    const auto detection = decider_.decide(observer_->observe(image, t));
    if (!detection) return;
    const std::string camera = frame.source_id != nullptr ? frame.source_id : "camera";
    const std::string summary = "A person fell and has not got up (camera " + camera + ")";
    gw_event_out event{};
    event.kind = "fall";
    event.severity = GW_SEVERITY_ALARM;
    event.source_id = frame.source_id;
    event.quantity = nullptr;
    event.value = detection->confidence;
    event.threshold = 0;
    event.confidence = detection->confidence;
    event.observed_unix_ms = frame.captured_unix_ms;
    event.summary = summary.c_str();
    const cv::Rect box = detection->box & cv::Rect(0, 0, frame.width, frame.height);
    event.roi_x = box.x;
    event.roi_y = box.y;
    event.roi_w = box.width;
    event.roi_h = box.height;
    emit.emit(event);
  }

 private:
  FallParams params_;
  std::unique_ptr<FallObserver> observer_;
  FallDecider decider_;
};

}  // namespace
}  // namespace gw::detectors::fall

extern "C" {
LANTAARN_DETECTOR_STATIC(gw::detectors::fall::FallPluginDetector, "fall", "1.0.0",
                         gw_builtin_fall_init)
}
