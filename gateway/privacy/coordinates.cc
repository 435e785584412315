#include "gateway/privacy/coordinates.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gw::privacy {
namespace {

// The centre of the cell of size `step` that holds `value`: the same for every point of the cell,
// so the exact position cannot be recovered from many messages.
double cellCentre(double value, double step) { return (std::floor(value / step) + 0.5) * step; }

}  // namespace

void coarsenLocation(gateway::v1::Location* location, uint32_t precision_m) {
  if (precision_m == 0) return;
  const double lat_step = precision_m / kMetresPerDegreeLatitude;
  const double lat = std::clamp(cellCentre(location->lat(), lat_step), -90.0, 90.0);
  const double cos_lat = std::max(0.01, std::cos(lat * std::numbers::pi / 180.0));
  location->set_lat(lat);
  location->set_lon(cellCentre(location->lon(), lat_step / cos_lat));
}

void coarsenLocations(gateway::v1::ActorMessage* message, uint32_t precision_m) {
  if (precision_m == 0) return;
  if (message->has_measurement() && message->measurement().has_location()) {
    coarsenLocation(message->mutable_measurement()->mutable_location(), precision_m);
  }
  if (message->has_event() && message->event().has_location()) {
    coarsenLocation(message->mutable_event()->mutable_location(), precision_m);
  }
  if (message->has_aggregate()) {
    for (auto& row : *message->mutable_aggregate()->mutable_rows()) {
      if (row.has_location()) coarsenLocation(row.mutable_location(), precision_m);
    }
  }
}

}  // namespace gw::privacy
