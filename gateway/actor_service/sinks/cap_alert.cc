#include "gateway/actor_service/sinks/cap_alert.h"

#include <cstdio>
#include <ctime>

namespace gw::actor_service {
namespace {

struct InfoMapping {
  const char* category;
  std::string event;
  const char* urgency;
  const char* severity;
  const char* certainty;
};

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// CAP's enumerations from the event. The fall follows the suggested mapping of
// shared/domain.md section 5; others by their severity.
InfoMapping mapEvent(const gateway::v1::Event& e, bool all_clear) {
  const auto sev = e.severity();
  const char* severity = sev == gateway::v1::SEVERITY_ALARM      ? "Severe"
                         : sev == gateway::v1::SEVERITY_WARNING  ? "Moderate"
                         : sev == gateway::v1::SEVERITY_ADVISORY ? "Minor"
                                                                 : "Unknown";
  const char* urgency = sev == gateway::v1::SEVERITY_ALARM     ? "Immediate"
                        : sev == gateway::v1::SEVERITY_WARNING ? "Expected"
                                                               : "Future";
  if (all_clear) {
    return {"Other", "All clear: " + e.detector_id(), "Past", "Minor", "Observed"};
  }
  if (e.kind() == "fall") {
    return {"Rescue", "Person fallen, immobile", "Immediate", "Severe", "Likely"};
  }
  if (startsWith(e.kind(), "water_")) {
    return {"Met", "Street flooding", urgency, severity, "Observed"};
  }
  if (e.quantity().rfind("pm", 0) == 0 || e.quantity() == "no2" || e.quantity() == "o3") {
    return {"Env", "Air quality: " + e.quantity() + " " + e.kind(), urgency, severity, "Observed"};
  }
  return {"Other", e.detector_id() + ": " + e.kind(), urgency, severity, "Observed"};
}

void element(std::string* out, const char* indent, const char* name, const std::string& text) {
  *out += std::string(indent) + "<" + name + ">" + xmlEscape(text) + "</" + name + ">\n";
}

void parameter(std::string* out, const char* name, const std::string& value) {
  *out += "    <parameter><valueName>" + std::string(name) + "</valueName><value>" +
          xmlEscape(value) + "</value></parameter>\n";
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

bool isAllClear(const std::string& kind) {
  return endsWith(kind, "_cleared") || endsWith(kind, "_all_clear");
}

std::string incidentKey(const gateway::v1::SpooledMessage& m) {
  const auto& e = m.message().event();
  return m.message().site_id() + "/" + e.detector_id() + "/" + e.source_id();
}

std::string capTime(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  return buf;
}

std::string xmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 text: drop them.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  return out;
}

CapAlert renderCapAlert(const gateway::v1::SpooledMessage& m, const std::string& sender,
                        CapMessageType type, const CapReference* reference) {
  const auto& msg = m.message();
  const auto& e = msg.event();
  CapAlert alert;
  alert.identifier =
      "lantaarn-" + m.gateway_key_id() + "-" + msg.actor_id() + "-" + std::to_string(m.sequence());
  alert.sender = sender;
  alert.sent = capTime(msg.produced_unix_ms() != 0 ? msg.produced_unix_ms() : m.sent_unix_ms());
  const bool all_clear = type == CapMessageType::kCancel;
  const InfoMapping info = mapEvent(e, all_clear);
  const char* msg_type = type == CapMessageType::kAlert    ? "Alert"
                         : type == CapMessageType::kUpdate ? "Update"
                                                           : "Cancel";

  std::string& x = alert.xml;
  x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n";
  element(&x, "  ", "identifier", alert.identifier);
  element(&x, "  ", "sender", alert.sender);
  element(&x, "  ", "sent", alert.sent);
  element(&x, "  ", "status", "Actual");
  element(&x, "  ", "msgType", msg_type);
  element(&x, "  ", "source", "lantaarn gateway " + m.gateway_key_id());
  element(&x, "  ", "scope", "Restricted");
  element(&x, "  ", "restriction", "for " + msg.actor_id() + " only (" + msg.purpose() + ")");
  if (reference != nullptr) {
    element(&x, "  ", "references",
            reference->sender + "," + reference->identifier + "," + reference->sent);
  }
  element(&x, "  ", "incidents", "lantaarn-" + incidentKey(m));
  x += "  <info>\n";
  element(&x, "    ", "language", "en");
  element(&x, "    ", "category", info.category);
  element(&x, "    ", "event", info.event);
  element(&x, "    ", "responseType", all_clear ? "AllClear" : "Assess");
  element(&x, "    ", "urgency", info.urgency);
  element(&x, "    ", "severity", info.severity);
  element(&x, "    ", "certainty", info.certainty);
  if (e.observed_unix_ms() != 0) element(&x, "    ", "onset", capTime(e.observed_unix_ms()));
  element(&x, "    ", "senderName", "Lantaarn gateway, site " + msg.site_id());
  element(&x, "    ", "headline", info.event + " at " + msg.site_id() + "/" + e.source_id());
  if (!e.summary().empty()) element(&x, "    ", "description", e.summary());
  parameter(&x, "detector", e.detector_id());
  parameter(&x, "kind", e.kind());
  if (!e.quantity().empty()) {
    parameter(&x, "quantity", e.quantity());
    parameter(&x, "value", number(e.value()) + " " + e.unit());
    if (e.threshold() != 0) parameter(&x, "threshold", number(e.threshold()) + " " + e.unit());
  }
  if (e.confidence() > 0) parameter(&x, "confidence", number(e.confidence()));
  parameter(&x, "lantaarnSequence", std::to_string(m.sequence()));
  x += "    <area>\n";
  element(&x, "      ", "areaDesc", "Site " + msg.site_id() + ", " + e.source_id());
  if (e.has_location()) {
    element(&x, "      ", "circle",
            number(e.location().lat()) + "," + number(e.location().lon()) + " 0.05");
  }
  x += "    </area>\n";
  x += "  </info>\n";
  x += "</alert>\n";
  return alert;
}

}  // namespace gw::actor_service
