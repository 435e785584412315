// A plugin that takes `sleep_ms` per reading: over its time budget every time, so the host must
// disable it once its overruns reach the limit (docs/PLUGINS.md).
#include <chrono>
#include <string>
#include <thread>

#include "lantaarn_detector.hpp"

class Slow : public lantaarn::Detector {
 public:
  explicit Slow(const lantaarn::Params& p)
      : sleep_ms_(std::stoi(p.count("sleep_ms") ? p.at("sleep_ms") : "300")) {}
  void onReading(const gw_reading_view&, lantaarn::Emitter&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
  }

 private:
  int sleep_ms_;
};

LANTAARN_DETECTOR_PLUGIN(Slow, "slow", "0.0.1")
