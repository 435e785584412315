#include "gateway/privacy/coordinates.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gw::privacy {
namespace {

// Great-circle distance in metres (haversine), independent of the grid arithmetic.
double metres(double lat1, double lon1, double lat2, double lon2) {
  const double r = 6371000, k = M_PI / 180;
  const double a =
      std::pow(std::sin((lat2 - lat1) * k / 2), 2) +
      std::cos(lat1 * k) * std::cos(lat2 * k) * std::pow(std::sin((lon2 - lon1) * k / 2), 2);
  return 2 * r * std::asin(std::sqrt(a));
}

TEST(CoordinatesTest, LocationsMoveAtMostHalfACellDiagonalAndNeighboursBecomeOne) {
  for (uint32_t precision : {100u, 500u, 1000u}) {
    for (double lat = 51.90; lat < 52.10; lat += 0.0137) {
      for (double lon = 5.00; lon < 5.20; lon += 0.0171) {
        gateway::v1::Location l;
        l.set_lat(lat);
        l.set_lon(lon);
        coarsenLocation(&l, precision);
        EXPECT_LE(metres(lat, lon, l.lat(), l.lon()), precision * 0.75) << lat << "," << lon;
        // A point 10 % of a cell away lands in the same cell or its neighbour, never further.
        gateway::v1::Location near;
        near.set_lat(lat + 0.1 * precision / 111320.0);
        near.set_lon(lon);
        coarsenLocation(&near, precision);
        EXPECT_LE(metres(l.lat(), l.lon(), near.lat(), near.lon()), precision * 1.05);
      }
    }
  }
}

TEST(CoordinatesTest, ManyReadingsOfOneHouseRevealOnlyTheCell) {
  // The Oudegracht example: points within a few metres give one and the same coarse location.
  gateway::v1::ActorMessage a, b;
  a.mutable_measurement()->mutable_location()->set_lat(52.09071);
  a.mutable_measurement()->mutable_location()->set_lon(5.12141);
  b.mutable_event()->mutable_location()->set_lat(52.09074);
  b.mutable_event()->mutable_location()->set_lon(5.12139);
  coarsenLocations(&a, 1000);
  coarsenLocations(&b, 1000);
  EXPECT_EQ(a.measurement().location().lat(), b.event().location().lat());
  EXPECT_EQ(a.measurement().location().lon(), b.event().location().lon());
  EXPECT_NE(a.measurement().location().lat(), 52.09071);
}

TEST(CoordinatesTest, ZeroKeepsTheLocationAsMeasured) {
  gateway::v1::Location l;
  l.set_lat(52.0907);
  l.set_lon(5.1214);
  coarsenLocation(&l, 0);
  EXPECT_EQ(l.lat(), 52.0907);
  EXPECT_EQ(l.lon(), 5.1214);
}

}  // namespace
}  // namespace gw::privacy
