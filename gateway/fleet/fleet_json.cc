#include "gateway/fleet/fleet_json.h"

namespace gw::fleet {
namespace {

// What no report said is null, not 0 or false, so a script can tell "none" from "zero".
template <typename T>
nlohmann::ordered_json orNull(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json siteJson(const SiteRow& r) {
  return {{"site", r.site},
          {"state", r.state},
          {"ok", r.ok},
          {"link", r.link},
          {"group", r.group},
          {"gateway_version", r.gateway_version},
          {"gateway_key_id", r.gateway_key_id},
          {"trust", r.trust},
          {"running_version", orNull(r.running_version)},
          {"policy_outcome", r.policy_outcome},
          {"policy_bundle_version", r.policy_bundle_version},
          {"policy_reason", r.policy_reason},
          {"policy_operator", r.policy_operator},
          {"policy_signer_key_id", r.policy_signer_key_id},
          {"foreign_signer", r.foreign_signer},
          {"health", r.health},
          {"problems", r.problems},
          {"sources_ok", r.sources_ok},
          {"sources_total", r.sources_total},
          {"detectors_ok", r.detectors_ok},
          {"detectors_total", r.detectors_total},
          {"outbox_messages", r.outbox_messages},
          {"outbox_oldest_age_seconds", r.outbox_oldest_age_seconds},
          {"broker_connected", orNull(r.broker_connected)},
          {"last_error", r.last_error},
          {"summary_age_seconds", orNull(r.summary_age_seconds)},
          {"stale", r.stale},
          {"errors", r.errors}};
}

nlohmann::ordered_json fleetJson(const std::vector<SiteRow>& rows) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& r : rows) array.push_back(siteJson(r));
  return array;
}

}  // namespace gw::fleet
