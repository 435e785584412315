// Raises `threshold_exceeded` when a quantity rises above a limit and `threshold_cleared` when it
// falls back below the clear level, once per crossing and per source (hysteresis: a value hovering
// at the limit does not produce a stream of events). A built-in behind the C ABI, written with the
// plugin SDK and linked statically (builtin_tables.h), like every built-in.
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "gateway/detectors/builtin/builtin_params.h"
#include "gateway/detectors/builtin/builtin_tables.h"

namespace gw::detectors::threshold {
namespace {

class ThresholdPlugin : public lantaarn::Detector {
 public:
  explicit ThresholdPlugin(const lantaarn::Params& params) {
    const builtin::ParamReader read("threshold", params,
                                    {"quantity", "above", "clear_below", "severity"});
    quantity_ = read.text("quantity", "");
    above_ = read.number("above", 0);
    // The policy validator already fills clear_below and severity; these defaults are the same.
    clear_below_ = read.number("clear_below", above_);
    severity_ = read.severity("severity", GW_SEVERITY_WARNING);
  }

  void onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) override {
    if (reading.quantity == nullptr || quantity_ != reading.quantity) return;
    const std::string_view source = reading.source_id != nullptr ? reading.source_id : "";
    // Looked up by view, inserted once per source: no string is built per reading.
    auto it = raised_by_source_.find(source);
    if (it == raised_by_source_.end()) it = raised_by_source_.emplace(source, false).first;
    bool& raised = it->second;
    const bool crossing_up = !raised && reading.value > above_;
    const bool crossing_down = raised && reading.value < clear_below_;
    if (!crossing_up && !crossing_down) return;
    raised = crossing_up;

    const char* unit = reading.unit != nullptr ? reading.unit : "";
    gw_event_out event{};
    event.kind = crossing_up ? "threshold_exceeded" : "threshold_cleared";
    event.severity = crossing_up ? severity_ : GW_SEVERITY_INFO;
    event.source_id = reading.source_id;
    event.quantity = reading.quantity;
    event.value = reading.value;
    event.unit = unit;
    event.threshold = crossing_up ? above_ : clear_below_;
    event.observed_unix_ms = reading.observed_unix_ms;
    event.has_location = 1;
    event.lat = reading.lat;
    event.lon = reading.lon;
    char summary[160];
    std::snprintf(summary, sizeof summary, "%s at %.1f %s, %s %.1f", reading.quantity,
                  reading.value, unit, crossing_up ? "above the limit of" : "back below",
                  event.threshold);
    event.summary = summary;
    emit.emit(event);
  }

 private:
  std::string quantity_;
  double above_ = 0, clear_below_ = 0;
  int32_t severity_ = GW_SEVERITY_WARNING;
  std::map<std::string, bool, std::less<>> raised_by_source_;
};

}  // namespace
}  // namespace gw::detectors::threshold

extern "C" {
LANTAARN_DETECTOR_STATIC(gw::detectors::threshold::ThresholdPlugin, "threshold", "1.0.0",
                         gw_builtin_threshold_init)
}
