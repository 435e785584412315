#pragma once
// The fleet page (`gatewayctl fleet serve`, GET /): one self-contained HTML file, no external
// assets, whose small script renders the /fleet.json array as the status table (one row per
// site, coloured by its state) and fetches it again every 2 s. The first render uses the rows the
// server embeds in the page, so it shows the fleet at once, and without fetches.
#include <nlohmann/json.hpp>

#include <string>

namespace gw::fleet {

std::string renderFleetPage(const nlohmann::ordered_json& initial_rows, bool broker_connected);

}  // namespace gw::fleet
