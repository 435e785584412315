#include "gateway/config/policy_explain.h"

#include <sstream>

namespace gw::config {
namespace {

using namespace gateway::v1;

std::string joined(const google::protobuf::RepeatedPtrField<std::string>& items,
                   const std::string& last_sep) {
  std::string out;
  for (int i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? last_sep : ", ";
    out += items[i];
  }
  return out;
}

std::string describeSource(const Policy& policy, const std::string& id) {
  for (const auto& s : policy.sources()) {
    if (s.id() != id) continue;
    std::string what =
        s.description().empty() ? (s.has_camera() ? "a camera" : "a sensor") : s.description();
    return id + " (" + what + ")";
  }
  return id;
}

std::string severityWord(Severity s) {
  switch (s) {
    case SEVERITY_INFO:
      return "information";
    case SEVERITY_ADVISORY:
      return "advisory";
    case SEVERITY_WARNING:
      return "warning";
    case SEVERITY_ALARM:
      return "alarm";
    default:
      return "";
  }
}

std::string snapshotWords(const Route& route) {
  switch (route.snapshot()) {
    case SNAPSHOT_MODE_ANONYMISED:
      return "an anonymised image (faces and persons covered) with each event";
    case SNAPSHOT_MODE_RAW:
      return "a RAW image with each event (every one is written to the audit log)";
    default:
      return "no images";
  }
}

void explainRoute(const Policy& policy, const Route& route, std::ostringstream& out) {
  const auto& from = route.from();
  std::vector<std::string> what;
  if (from.measurements_size() > 0) {
    const bool any = from.measurements_size() == 1 && from.measurements(0) == "*";
    what.push_back(any ? "every measurement"
                       : "measurements of " + joined(from.measurements(), " and "));
  }
  for (const auto& d : from.detectors()) {
    std::string kind = "events";
    for (const auto& det : policy.detectors()) {
      if (det.id() != d) continue;
      if (det.has_threshold()) kind = det.threshold().quantity() + " threshold events";
      if (det.has_air_quality())
        kind = "air-quality events (index bands, limit and guideline exceedances, sensor faults)";
      if (det.has_water_nuisance()) kind = "water-nuisance advisories, warnings and alarms";
      if (det.has_fall()) kind = "fall alarms (with the person's position in the frame)";
      if (det.has_plugin()) kind = "events of the plugin " + det.plugin().path();
    }
    what.push_back(kind + " from detector " + d);
  }
  if (from.health_size() > 0)
    what.push_back("health events (" + joined(from.health(), " and ") + ")");
  std::string what_text;
  for (size_t i = 0; i < what.size(); ++i) what_text += (i ? "; " : "") + what[i];

  out << "  - " << what_text << "\n";
  if (from.sources_size() > 0) {
    std::string sources;
    for (int i = 0; i < from.sources_size(); ++i) {
      sources += (i ? ", " : "") + describeSource(policy, from.sources(i));
    }
    out << "    from: " << sources << "\n";
  } else {
    out << "    from: any source of this site\n";
  }
  out << "    purpose: " << route.purpose()
      << "; legal basis: " << (route.legal_basis().empty() ? "not stated" : route.legal_basis())
      << "\n";
  out << "    form: "
      << (route.fields_size() == 0 ? "all fields" : "only " + joined(route.fields(), " and "));
  if (route.min_severity() != SEVERITY_UNSPECIFIED)
    out << "; events of severity " << severityWord(route.min_severity()) << " and above";
  if (route.coordinate_precision_m() > 0)
    out << "; locations to about " << route.coordinate_precision_m() << " m";
  if (route.has_aggregate())
    out << "; counts per " << route.aggregate().interval() << " instead of single data";
  out << "; " << snapshotWords(route)
      << (route.open_data() ? "; OPEN DATA: published unencrypted for anyone\n"
                            : "; encrypted for this actor alone\n");
  out << "    rate: "
      << (route.rate_limit().empty() ? "as it happens" : "at most " + route.rate_limit());
  if (!route.ttl().empty()) out << "; useful for " << route.ttl();
  out << "\n    kept on the box: " << route.retention() << " (route " << route.id() << ")\n";
}

}  // namespace

std::string explainPolicy(const Policy& policy, const std::string& only_actor) {
  std::ostringstream out;
  const auto& site = policy.site();
  out << "Site " << site.id();
  if (!site.name().empty()) out << " (" << site.name() << ")";
  if (!site.operator_contact().empty()) out << ", operated by " << site.operator_contact();
  out << "\n";
  out << "Nothing leaves this site unless a route below grants it; whatever no route covers is "
         "dropped.\n";
  for (const auto& actor : policy.actors()) {
    if (!only_actor.empty() && actor.id() != only_actor) continue;
    out << "\n" << actor.id();
    if (!actor.name().empty()) out << " (" << actor.name() << ")";
    out << "\n  authorised purposes: " << joined(actor.purposes(), " and ") << "\n";
    bool any = false;
    for (const auto& route : policy.routes()) {
      if (route.to() != actor.id()) continue;
      if (!any) out << "  receives:\n";
      any = true;
      explainRoute(policy, route, out);
    }
    if (!any) out << "  receives nothing: no route names this actor\n";
  }
  return out.str();
}

}  // namespace gw::config
