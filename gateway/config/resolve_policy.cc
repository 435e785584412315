#include "gateway/config/resolve_policy.h"

#include "gateway/config/checker.h"
#include "gateway/config/resolve_sections.h"

namespace gw::config {

std::string joinIds(const std::set<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out.empty() ? "none" : out;
}

void resolveSite(ResolvedPolicy& out, Checker& check) {
  if (!out.policy.has_site()) {
    check.fail("site", "site is required (id, name, location, operator_contact)");
    return;
  }
  check.requireId("site.id", out.policy.site().id(), "site id");
  out.routes.site_id = out.policy.site().id();
}

void resolvePolicy(ResolvedPolicy& policy, const std::string& fallback_file, ConfigErrors* errors) {
  Checker check(policy.positions, fallback_file, errors);
  DefinedIds ids;
  resolveSite(policy, check);
  resolveGateway(policy, check);
  resolveActors(policy, ids, check);
  resolveSources(policy, ids, check);
  resolveDetectors(policy, ids, check);
  resolveRoutes(policy, ids, check);
  checkVisionModels(policy, check);
}

}  // namespace gw::config
