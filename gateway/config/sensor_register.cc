#include "gateway/config/sensor_register.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "gateway/pipeline/topics.h"

namespace gw::config {
namespace {

using namespace gateway::v1;
using nlohmann::json;

template <typename List>
bool contains(const List& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string detectorKind(const Detector& d) {
  if (d.has_threshold()) return "threshold on " + d.threshold().quantity();
  if (d.has_air_quality())
    return "air quality: hourly means, European Air Quality Index, EU limit and WHO guideline "
           "exceedances, sensor faults";
  if (d.has_water_nuisance()) return "water on the street: advisories, warnings, alarms";
  if (d.has_fall()) return "a person falling (camera, processed on the box)";
  if (d.has_plugin()) return "plugin " + d.plugin().path();
  return "unknown";
}

std::string snapshotForm(const Route& r) {
  switch (r.snapshot()) {
    case SNAPSHOT_MODE_ANONYMISED:
      return "anonymised image with each event (faces and persons covered)";
    case SNAPSHOT_MODE_RAW:
      return "raw image with each event (audited)";
    default:
      return "no images";
  }
}

// What a source measures, as far as the policy says: the quantities routes and detectors take.
std::set<std::string> measuredBy(const Policy& policy, const Source& source) {
  std::set<std::string> out;
  if (source.has_camera()) out.insert("video (analysed on the box, not sent)");
  for (const auto& route : policy.routes()) {
    const auto& from = route.from();
    if (!from.sources().empty() && !contains(from.sources(), source.id())) continue;
    if (source.has_camera()) continue;
    for (const auto& q : from.measurements()) out.insert(q == "*" ? "any quantity it reports" : q);
  }
  for (const auto& d : policy.detectors()) {
    if (contains(d.sources(), source.id()) && d.has_threshold())
      out.insert(d.threshold().quantity());
  }
  return out;
}

json recipientRoute(const Policy& policy, const Route& r) {
  json what = json::array();
  for (const auto& m : r.from().measurements()) what.push_back("measurement " + m);
  for (const auto& d : r.from().detectors()) what.push_back("events of detector " + d);
  for (const auto& h : r.from().health()) what.push_back("health " + h);
  json form = {
      {"fields", r.fields().empty()
                     ? json("all")
                     : json(std::vector<std::string>(r.fields().begin(), r.fields().end()))},
      {"snapshot", snapshotForm(r)},
      {"encrypted", !r.open_data()},
  };
  if (r.coordinate_precision_m() > 0) form["coordinate_precision_m"] = r.coordinate_precision_m();
  if (r.has_aggregate()) form["aggregate_interval"] = r.aggregate().interval();
  json out = {{"route", r.id()},
              {"receives", what},
              {"sources", r.from().sources().empty()
                              ? json("any")
                              : json(std::vector<std::string>(r.from().sources().begin(),
                                                              r.from().sources().end()))},
              {"purpose", r.purpose()},
              {"legal_basis", r.legal_basis().empty() ? "not stated" : r.legal_basis()},
              {"form", form},
              {"retention_on_box", r.retention()}};
  if (r.open_data()) out["published_on"] = pipeline::openDataTopic(policy.site().id());
  return out;
}

}  // namespace

json registerEntry(const Policy& policy) {
  const auto& site = policy.site();
  json entry = {{"register_format", "lantaarn-sensor-register/1"},
                {"site", {{"id", site.id()}, {"name", site.name()}}},
                {"contact", site.operator_contact()}};
  if (site.has_location()) {
    entry["site"]["location"] = {{"lat", site.location().lat()}, {"lon", site.location().lon()}};
  }
  json sensors = json::array();
  for (const auto& s : policy.sources()) {
    json sensor = {{"id", s.id()},
                   {"type", s.has_camera() ? "camera" : "sensor"},
                   {"description", s.description()},
                   {"measures", measuredBy(policy, s)}};
    if (s.has_location()) {
      sensor["location"] = {{"lat", s.location().lat()}, {"lon", s.location().lon()}};
    }
    if (s.has_camera()) sensor["privacy_masks"] = s.camera().privacy_masks_size();
    sensors.push_back(sensor);
  }
  entry["sensors"] = sensors;
  json detectors = json::array();
  for (const auto& d : policy.detectors()) {
    detectors.push_back(
        {{"id", d.id()},
         {"detects", detectorKind(d)},
         {"sources", std::vector<std::string>(d.sources().begin(), d.sources().end())}});
  }
  entry["detectors"] = detectors;
  std::set<std::string> purposes;
  for (const auto& r : policy.routes()) purposes.insert(r.purpose());
  entry["purposes"] = purposes;
  json recipients = json::array();
  for (const auto& a : policy.actors()) {
    json routes = json::array();
    for (const auto& r : policy.routes()) {
      if (r.to() == a.id()) routes.push_back(recipientRoute(policy, r));
    }
    recipients.push_back({{"actor", a.id()}, {"name", a.name()}, {"routes", routes}});
  }
  entry["recipients"] = recipients;
  entry["default"] = "nothing leaves the box unless a route grants it (default deny)";
  return entry;
}

std::string registerMarkdown(const json& e) {
  std::ostringstream out;
  const std::string name = e["site"]["name"].get<std::string>();
  out << "# Sensor register entry: " << (name.empty() ? e["site"]["id"].get<std::string>() : name)
      << "\n\n";
  out << "- Site id: `" << e["site"]["id"].get<std::string>() << "`\n";
  if (e["site"].contains("location")) {
    out << "- Location: " << e["site"]["location"]["lat"] << ", " << e["site"]["location"]["lon"]
        << " (WGS84)\n";
  }
  const std::string contact = e["contact"].get<std::string>();
  out << "- Contact: " << (contact.empty() ? "not stated" : contact) << "\n";
  out << "- Principle: " << e["default"].get<std::string>() << "\n\n";
  out << "## Sensors\n\n| id | type | measures | description |\n|---|---|---|---|\n";
  for (const auto& s : e["sensors"]) {
    std::string measures;
    for (const auto& m : s["measures"])
      measures += (measures.empty() ? "" : ", ") + m.get<std::string>();
    std::string description = s["description"].get<std::string>();
    if (s.contains("privacy_masks") && s["privacy_masks"].get<int>() > 0) {
      description += (description.empty() ? "" : "; ") +
                     std::to_string(s["privacy_masks"].get<int>()) +
                     " privacy mask(s) blacked out before any processing";
    }
    out << "| " << s["id"].get<std::string>() << " | " << s["type"].get<std::string>() << " | "
        << measures << " | " << description << " |\n";
  }
  out << "\n## Detectors\n\n| id | detects | on |\n|---|---|---|\n";
  for (const auto& d : e["detectors"]) {
    std::string on;
    for (const auto& s : d["sources"]) on += (on.empty() ? "" : ", ") + s.get<std::string>();
    out << "| " << d["id"].get<std::string>() << " | " << d["detects"].get<std::string>() << " | "
        << on << " |\n";
  }
  out << "\n## Purposes\n\n";
  for (const auto& p : e["purposes"]) out << "- " << p.get<std::string>() << "\n";
  out << "\n## Who receives what\n\n";
  out << "| recipient | receives | purpose | legal basis | form | kept on the box |\n"
         "|---|---|---|---|---|---|\n";
  for (const auto& a : e["recipients"]) {
    std::string who = a["actor"].get<std::string>();
    if (!a["name"].get<std::string>().empty()) who += " (" + a["name"].get<std::string>() + ")";
    if (a["routes"].empty()) out << "| " << who << " | nothing | | | | |\n";
    for (const auto& r : a["routes"]) {
      std::string what;
      for (const auto& w : r["receives"]) what += (what.empty() ? "" : "; ") + w.get<std::string>();
      const auto& f = r["form"];
      std::string form = f["fields"].is_string() ? "all fields" : "only " + f["fields"].dump();
      if (f.contains("coordinate_precision_m")) {
        form +=
            "; locations to about " + std::to_string(f["coordinate_precision_m"].get<int>()) + " m";
      }
      if (f.contains("aggregate_interval")) {
        form += "; counts per " + f["aggregate_interval"].get<std::string>() + ", no single data";
      }
      form += "; " + f["snapshot"].get<std::string>();
      form += f["encrypted"].get<bool>()
                  ? "; encrypted for this recipient alone"
                  : "; open data, published unencrypted on " + r["published_on"].get<std::string>();
      out << "| " << who << " | " << what << " | " << r["purpose"].get<std::string>() << " | "
          << r["legal_basis"].get<std::string>() << " | " << form << " | "
          << r["retention_on_box"].get<std::string>() << " |\n";
    }
  }
  return out.str();
}

}  // namespace gw::config
