// A frame detector for the camera-to-plugin path: every `every` frames it reports the frame's
// size and mean brightness, computed from the lent pixels.
#include <string>

#include "lantaarn_detector.hpp"

class FrameStats : public lantaarn::Detector {
 public:
  explicit FrameStats(const lantaarn::Params& p)
      : every_(std::stoi(p.count("every") ? p.at("every") : "10")) {}
  void onFrame(const gw_frame_view& f, lantaarn::Emitter& emit) override {
    if (++frames_ % every_ != 0) return;
    double sum = 0;
    const int channels = f.pixel_format == GW_PIXEL_GRAY8 ? 1 : 3;
    for (int y = 0; y < f.height; ++y) {
      for (int x = 0; x < f.width * channels; ++x) sum += f.data[y * f.stride + x];
    }
    summary_ = std::to_string(f.width) + "x" + std::to_string(f.height);
    gw_event_out e{};
    e.kind = "frame_stats";
    e.severity = GW_SEVERITY_INFO;
    e.source_id = f.source_id;
    e.value = sum / (static_cast<double>(f.width) * f.height * channels);
    e.threshold = frames_;
    e.observed_unix_ms = f.captured_unix_ms;
    e.summary = summary_.c_str();
    emit.emit(e);
  }

 private:
  int every_;
  int frames_ = 0;
  std::string summary_;
};

LANTAARN_DETECTOR_PLUGIN(FrameStats, "frame-stats", "1.0.0")
