#pragma once
// The operator's status page (GET /): one self-contained HTML file with a little JavaScript that
// renders /status and fetches it again every few seconds. The first render uses the status the
// server embeds in the page, so it shows real content at once (and without JavaScript fetches).
#include <nlohmann/json.hpp>

#include <string>

namespace gw::ops {

std::string renderStatusPage(const nlohmann::json& initial_status);

}  // namespace gw::ops
