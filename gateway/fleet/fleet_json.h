#pragma once
// The fleet table as JSON: `gatewayctl fleet status --json` and `fleet serve`'s /fleet.json print
// the same array, one object per site in site order. The field names are an interface (scripts
// read them): documented in docs/FLEET.md, "Fleet status"; add fields, never rename one.
#include <nlohmann/json.hpp>

#include <vector>

#include "gateway/fleet/fleet_table.h"

namespace gw::fleet {

nlohmann::ordered_json siteJson(const SiteRow& row);
nlohmann::ordered_json fleetJson(const std::vector<SiteRow>& rows);

}  // namespace gw::fleet
