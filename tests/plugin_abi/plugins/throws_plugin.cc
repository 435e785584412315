// A plugin whose detector throws on every reading: the SDK must turn that into an error status.
#include <stdexcept>

#include "lantaarn_detector.hpp"

class Throws : public lantaarn::Detector {
 public:
  explicit Throws(const lantaarn::Params&) {}
  void onReading(const gw_reading_view&, lantaarn::Emitter&) override {
    throw std::runtime_error("boom");
  }
};

LANTAARN_DETECTOR_PLUGIN(Throws, "throws", "0.0.1")
