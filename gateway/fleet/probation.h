#pragma once
// Does a newly applied bundle keep the site healthy? Judged against the site's health just after
// the bundle was applied (the baseline), so a problem the site already had does not count
// against it: a source that stalls, a detector that crashes or is disabled, the pipeline that
// stops answering, the broker link down for kLinkDownSamples samples in a row. Samples come once a
// second for the probation's length (docs/FLEET.md).
#include <optional>
#include <string>

#include "gateway/fleet/health_sample.h"

namespace gw::fleet {

inline constexpr int kLinkDownSamples = 5;

class Probation {
 public:
  explicit Probation(HealthSample baseline) : baseline_(std::move(baseline)) {}

  // Why the bundle fails now, or nullopt while it holds.
  std::optional<std::string> judge(const HealthSample& now);

 private:
  HealthSample baseline_;
  int link_down_ = 0;
  int silent_ = 0;
};

}  // namespace gw::fleet
