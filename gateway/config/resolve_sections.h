#pragma once
// The resolver, one function per section of the policy, in the order resolvePolicy() runs them.
// Each checks its section (running the owning stage's rules), applies its defaults (defaults.h)
// and fills in its part of the typed settings. Problems go to `check`, located at their key.
#include <map>
#include <set>
#include <string>

#include "gateway/config/checker.h"
#include "gateway/config/resolved_policy.h"

namespace gw::config {

// Ids defined so far, for the references of later sections.
struct DefinedIds {
  std::map<std::string, std::set<std::string>> actor_purposes;
  std::set<std::string> sources;
  std::set<std::string> detectors;
};

void resolveSite(ResolvedPolicy& out, Checker& check);
void resolveGateway(ResolvedPolicy& out, Checker& check);
void resolveActors(ResolvedPolicy& out, DefinedIds& ids, Checker& check);
void resolveSources(ResolvedPolicy& out, DefinedIds& ids, Checker& check);
void resolveDetectors(ResolvedPolicy& out, DefinedIds& ids, Checker& check);
void resolveRoutes(ResolvedPolicy& out, const DefinedIds& ids, Checker& check);
// Loads each vision model the policy needs (anonymised snapshots, fall detectors) once.
void checkVisionModels(const ResolvedPolicy& out, Checker& check);

// "a, b, c", or "none".
std::string joinIds(const std::set<std::string>& ids);

}  // namespace gw::config
