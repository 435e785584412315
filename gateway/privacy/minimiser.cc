#include "gateway/privacy/minimiser.h"

#include <algorithm>
#include <set>

namespace gw::privacy {
namespace {

const std::set<std::string>& knownFields() {
  static const std::set<std::string> fields = [] {
    std::set<std::string> out;
    for (const auto* type :
         {gateway::v1::Reading::descriptor(), gateway::v1::Event::descriptor()}) {
      for (int i = 0; i < type->field_count(); ++i) out.insert(type->field(i)->name());
    }
    return out;
  }();
  return fields;
}

void keepOnly(google::protobuf::Message* body, const std::vector<std::string>& allowed) {
  const auto* type = body->GetDescriptor();
  const auto* reflection = body->GetReflection();
  for (int i = 0; i < type->field_count(); ++i) {
    const auto* field = type->field(i);
    if (std::find(allowed.begin(), allowed.end(), field->name()) == allowed.end()) {
      reflection->ClearField(body, field);
    }
  }
}

}  // namespace

bool isKnownField(const std::string& name) { return knownFields().count(name) > 0; }

std::string knownFieldList() {
  std::string out;
  for (const auto& f : knownFields()) out += (out.empty() ? "" : ", ") + f;
  return out;
}

void minimise(gateway::v1::ActorMessage* message, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return;
  if (message->has_measurement()) keepOnly(message->mutable_measurement(), allowed);
  if (message->has_event()) keepOnly(message->mutable_event(), allowed);
  if (message->has_measurement_batch()) {
    for (auto& reading : *message->mutable_measurement_batch()->mutable_readings()) {
      keepOnly(&reading, allowed);
    }
  }
}

}  // namespace gw::privacy
