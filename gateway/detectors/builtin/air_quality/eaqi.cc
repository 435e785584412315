#include "gateway/detectors/builtin/air_quality/eaqi.h"

#include <array>

namespace gw::detectors {
namespace {

struct Bands {
  std::string_view quantity;
  std::array<double, 5> upper;  // good, fair, moderate, poor, very poor
};

constexpr Bands kBands[] = {
    {"pm2_5", {5, 15, 50, 90, 140}},  {"pm10", {15, 45, 120, 195, 270}},
    {"no2", {10, 25, 60, 100, 150}},  {"o3", {60, 100, 120, 160, 180}},
    {"so2", {20, 40, 125, 190, 275}},
};

}  // namespace

const char* eaqiBandName(EaqiBand band) {
  switch (band) {
    case EaqiBand::kGood:
      return "good";
    case EaqiBand::kFair:
      return "fair";
    case EaqiBand::kModerate:
      return "moderate";
    case EaqiBand::kPoor:
      return "poor";
    case EaqiBand::kVeryPoor:
      return "very_poor";
    case EaqiBand::kExtremelyPoor:
      return "extremely_poor";
  }
  return "unknown";
}

std::optional<EaqiBand> eaqiBand(std::string_view quantity, double value) {
  for (const auto& b : kBands) {
    if (b.quantity != quantity) continue;
    for (size_t i = 0; i < b.upper.size(); ++i) {
      if (value <= b.upper[i]) return static_cast<EaqiBand>(i + 1);
    }
    return EaqiBand::kExtremelyPoor;
  }
  return std::nullopt;
}

}  // namespace gw::detectors
