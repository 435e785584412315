#pragma once
// What every sensor source (file replay, UDP, TCP, HTTP push, MQTT subscription) has in common as
// a pipeline::Source: it delivers readings, and it is making progress while it accepts or drops
// them (a flood of malformed input is still input: the ops stall check must not call it stuck).
#include <string>
#include <vector>

#include "gateway/pipeline/stage.h"

namespace gw::sources {

class ReadingSource : public pipeline::Source {
 public:
  pipeline::SourceKind kind() const override { return pipeline::SourceKind::kSensor; }
  std::vector<std::string> progressCounters() const override {
    const std::string quoted = "=\"" + id() + "\"";
    return {"readings_accepted_total{source" + quoted, "readings_dropped_total{source" + quoted};
  }
};

}  // namespace gw::sources
