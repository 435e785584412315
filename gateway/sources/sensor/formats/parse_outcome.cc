#include "gateway/sources/sensor/formats/parse_outcome.h"

#include <cmath>
#include <string>

#include "gateway/sources/sensor/formats/quantities.h"
#include "gateway/sources/sensor/formats/units.h"

namespace gw::sources {

void ParseOutcome::addValue(const gateway::v1::Reading& base, const std::string& column,
                            const std::string& quantity, const std::string& unit, double value) {
  if (!std::isfinite(value)) {
    rejected.push_back({column, "not_finite", std::to_string(value)});
    return;
  }
  const auto info = findQuantity(quantity);
  if (!info) {
    rejected.push_back({column, "unknown_quantity", quantity});
    return;
  }
  const auto canonical = toCanonical(quantity, unit, value);
  if (!canonical) {
    rejected.push_back({column, "unknown_unit", "'" + unit + "' for " + quantity});
    return;
  }
  if (*canonical < info->min || *canonical > info->max) {
    rejected.push_back({column, "out_of_range",
                        std::to_string(*canonical) + " " + info->unit + " outside [" +
                            std::to_string(info->min) + ", " + std::to_string(info->max) + "]"});
    return;
  }
  gateway::v1::Reading reading = base;
  reading.set_quantity(quantity);
  reading.set_unit(info->unit);
  reading.set_value(*canonical);
  if (unit != info->unit)
    reading.set_quality_flags(reading.quality_flags() | gateway::v1::QUALITY_FLAG_CONVERTED);
  readings.push_back(std::move(reading));
}

}  // namespace gw::sources
