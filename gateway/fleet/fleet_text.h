#pragma once
// The fleet table as text for a terminal (`gatewayctl fleet status` without --json): one aligned
// row per site, and the one-line summary a script or a pager's last line shows.
#include <string>
#include <vector>

#include "gateway/fleet/fleet_table.h"

namespace gw::fleet {

// A heading and one line per row, columns padded to their widest cell.
std::string fleetText(const std::vector<SiteRow>& rows);
// "sites 30: online 30, offline 0, stale 0, unhealthy 0; policy versions: 12 x30", with the
// forged reports and foreign signers appended when there are any.
std::string summaryLine(const FleetSummary& summary);
// "45s", "3m05s", "2h01m", "3d04h": an age at a glance.
std::string ageText(double seconds);

}  // namespace gw::fleet
