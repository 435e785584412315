#pragma once
// Coarsening of locations per route: a sensor's exact position can point at a house, a grid cell
// of a few hundred metres points at a street.
#include <cstdint>

#include "gateway/v1/data.pb.h"

namespace gw::privacy {

inline constexpr double kMetresPerDegreeLatitude = 111320.0;

// Snaps `location` to the centre of its cell on a grid of about `precision_m` metres: latitude in
// steps of precision_m / 111320 degrees, longitude in steps widened by 1/cos(latitude of the cell)
// so cells stay about square. 0 leaves it unchanged.
void coarsenLocation(gateway::v1::Location* location, uint32_t precision_m);

// Every location in the message body (a measurement's, an event's, each aggregate row's).
void coarsenLocations(gateway::v1::ActorMessage* message, uint32_t precision_m);

}  // namespace gw::privacy
