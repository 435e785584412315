#include "gateway/fleet/fleet_versions.h"

#include <charconv>
#include <sstream>

#include "gateway/core/files.h"

namespace gw::fleet {
namespace {

constexpr std::string_view kFormat = "lantaarn-fleet-versions-v1";

std::filesystem::path fileIn(const std::filesystem::path& dir) { return dir / "versions"; }

}  // namespace

Result<FleetVersions> readFleetVersions(const std::filesystem::path& dir) {
  const auto path = fileIn(dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return FleetVersions{};
  auto text = readFile(path);
  if (!text.ok()) return text.status();
  FleetVersions versions;
  bool format_seen = false;
  std::istringstream lines(*text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    const auto colon = line.find(": ");
    const std::string where = path.string() + ":" + std::to_string(number);
    if (colon == std::string::npos) return dataLoss(where + ": not a 'name: value' line");
    const std::string name = line.substr(0, colon);
    const std::string value = line.substr(colon + 2);
    if (name == "format") {
      if (value != kFormat) return dataLoss(where + ": unknown format '" + value + "'");
      format_seen = true;
      continue;
    }
    uint64_t n = 0;
    auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (err != std::errc() || end != value.data() + value.size()) {
      return dataLoss(where + ": '" + value + "' is not a number");
    }
    if (name == "floor") {
      versions.floor = n;
    } else if (name == "running") {
      versions.running = n;
    } else if (name == "last_good") {
      versions.last_good = n;
    } else if (name == "probation_starts") {
      versions.probation_starts = static_cast<uint32_t>(n);
    } else {
      return dataLoss(where + ": unknown field '" + name + "'");
    }
  }
  if (!format_seen) return dataLoss(path.string() + ": no format line");
  return versions;
}

Status writeFleetVersions(const std::filesystem::path& dir, const FleetVersions& versions) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  std::ostringstream out;
  out << "format: " << kFormat << "\n"
      << "floor: " << versions.floor << "\n"
      << "running: " << versions.running << "\n"
      << "last_good: " << versions.last_good << "\n"
      << "probation_starts: " << versions.probation_starts << "\n";
  return writeFileAtomic(fileIn(dir), out.str(),
                         std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace gw::fleet
