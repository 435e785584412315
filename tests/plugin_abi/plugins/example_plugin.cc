// The example plugin of docs/PLUGINS.md: emits `value_above` whenever a reading exceeds the
// parameter `above`. Written against the C++ SDK only.
#include <stdexcept>
#include <string>

#include "lantaarn_detector.hpp"

class ValueAbove : public lantaarn::Detector {
 public:
  explicit ValueAbove(const lantaarn::Params& params) {
    auto it = params.find("above");
    if (it == params.end()) throw std::invalid_argument("parameter 'above' is required");
    above_ = std::stod(it->second);
  }

  void onReading(const gw_reading_view& r, lantaarn::Emitter& emit) override {
    if (r.value <= above_) return;
    gw_event_out e{};
    e.kind = "value_above";
    e.severity = GW_SEVERITY_ADVISORY;
    e.source_id = r.source_id;
    e.quantity = r.quantity;
    e.value = r.value;
    e.threshold = above_;
    e.confidence = 1.0;
    e.observed_unix_ms = r.observed_unix_ms;
    e.summary = "value above the example threshold";
    emit.emit(e);
  }

 private:
  double above_ = 0;
};

LANTAARN_DETECTOR_PLUGIN(ValueAbove, "example-value-above", "1.0.0")
