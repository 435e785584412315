#include "gateway/sources/sensor/formats/cayenne_lpp.h"

namespace gw::sources {
namespace {

int sizeOfType(uint8_t type) {
  switch (type) {
    case 0:
    case 1:
    case 102:
    case 104:
      return 1;
    case 2:
    case 3:
    case 101:
    case 103:
    case 115:
      return 2;
    case 113:
    case 134:
      return 6;
    case 136:
      return 9;
    default:
      return -1;
  }
}

int64_t bigEndian(const uint8_t* p, int n, bool is_signed) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (is_signed && n < 8 && (v & (uint64_t{1} << (n * 8 - 1)))) {
    v |= ~uint64_t{0} << (n * 8);  // sign-extend
  }
  return static_cast<int64_t>(v);
}

}  // namespace

Result<std::vector<LppValue>> decodeCayenneLpp(std::string_view bytes) {
  std::vector<LppValue> out;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t i = 0;
  while (i < bytes.size()) {
    if (i + 2 > bytes.size())
      return invalidArgument("LPP item truncated at byte " + std::to_string(i));
    const uint8_t channel = p[i], type = p[i + 1];
    const int size = sizeOfType(type);
    if (size < 0)
      return invalidArgument("unknown LPP type " + std::to_string(type) + " at byte " +
                             std::to_string(i));
    if (i + 2 + static_cast<size_t>(size) > bytes.size()) {
      return invalidArgument("LPP item of type " + std::to_string(type) + " truncated at byte " +
                             std::to_string(i));
    }
    const uint8_t* d = p + i + 2;
    double value = 0;
    switch (type) {
      case 0:
      case 1:
      case 102:
        value = d[0];
        break;
      case 2:
      case 3:
        value = static_cast<double>(bigEndian(d, 2, true)) / 100.0;
        break;
      case 101:
        value = static_cast<double>(bigEndian(d, 2, false));
        break;
      case 103:
        value = static_cast<double>(bigEndian(d, 2, true)) / 10.0;
        break;
      case 104:
        value = d[0] / 2.0;
        break;
      case 115:
        value = static_cast<double>(bigEndian(d, 2, false)) / 10.0;
        break;
      case 113:
        value = static_cast<double>(bigEndian(d, 2, true)) / 1000.0;
        break;
      case 134:
        value = static_cast<double>(bigEndian(d, 2, true)) / 100.0;
        break;
      case 136:
        value = static_cast<double>(bigEndian(d, 3, true)) / 10000.0;
        break;
      default:
        break;
    }
    out.push_back({channel, type, value});
    i += 2 + static_cast<size_t>(size);
  }
  return out;
}

}  // namespace gw::sources
