#pragma once
// Data minimisation per route: an actor receives only the fields its route lists.
#include <string>
#include <vector>

#include "gateway/v1/data.pb.h"

namespace gw::privacy {

// True when `name` is a field of a measurement (Reading) or an event (Event).
bool isKnownField(const std::string& name);
std::string knownFieldList();

// Clears every field of the message body that is not in `allowed`. An empty list keeps all.
void minimise(gateway::v1::ActorMessage* message, const std::vector<std::string>& allowed);

}  // namespace gw::privacy
