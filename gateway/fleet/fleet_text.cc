#include "gateway/fleet/fleet_text.h"

#include <algorithm>
#include <cstdio>

namespace gw::fleet {
namespace {

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

std::string versionText(const std::optional<uint64_t>& version) {
  if (!version) return "?";
  return *version == 0 ? "local" : std::to_string(*version);
}

std::string outcomeText(const SiteRow& r) {
  if (r.policy_outcome == "unknown") return "?";
  if (r.policy_outcome == "local_only") return "local only";
  std::string text = r.policy_outcome == "rolled_back" ? "rolled back" : r.policy_outcome;
  if (r.policy_bundle_version != 0) text += " v" + std::to_string(r.policy_bundle_version);
  if (!r.policy_reason.empty()) text += ": " + r.policy_reason;
  return text;
}

std::string healthText(const SiteRow& r) {
  if (r.health == "unknown") return "?";
  return r.problems.empty() ? r.health : join(r.problems, "; ");
}

std::string countText(int fine, int total, bool known) {
  return known ? std::to_string(fine) + "/" + std::to_string(total) : "-";
}

std::string outboxText(const SiteRow& r) {
  if (r.health == "unknown") return "-";
  std::string text = std::to_string(r.outbox_messages);
  if (r.outbox_messages > 0) text += ", oldest " + ageText(r.outbox_oldest_age_seconds);
  return text;
}

std::string notesText(const SiteRow& r) {
  std::vector<std::string> notes = r.errors;
  if (r.foreign_signer) notes.push_back("foreign signer " + r.policy_signer_key_id);
  return join(notes, "; ");
}

}  // namespace

std::string ageText(double seconds) {
  const auto s = static_cast<long long>(std::max(0.0, seconds));
  char text[32];
  if (s < 60) {
    std::snprintf(text, sizeof text, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  } else {
    std::snprintf(text, sizeof text, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
  }
  return text;
}

std::string fleetText(const std::vector<SiteRow>& rows) {
  std::vector<std::vector<std::string>> table{{"SITE", "LINK", "POLICY", "LAST OUTCOME", "HEALTH",
                                               "SOURCES", "DETECTORS", "OUTBOX", "BROKER",
                                               "LAST ERROR", "AGE", "TRUST", "NOTES"}};
  for (const auto& r : rows) {
    const bool summary = r.health != "unknown";
    std::string age = r.summary_age_seconds ? ageText(*r.summary_age_seconds) : "-";
    if (r.stale) age += " stale";
    table.push_back({r.site, r.link, versionText(r.running_version), outcomeText(r), healthText(r),
                     countText(r.sources_ok, r.sources_total, summary),
                     countText(r.detectors_ok, r.detectors_total, summary), outboxText(r),
                     !r.broker_connected ? "-" : (*r.broker_connected ? "up" : "down"),
                     r.last_error.empty() ? "-" : r.last_error, age, r.trust, notesText(r)});
  }
  std::vector<size_t> widths(table.front().size(), 0);
  for (const auto& line : table) {
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  std::string out;
  for (const auto& line : table) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text += std::string(widths[i] - line[i].size() + 2, ' ');
    }
    // The last columns are often empty: no padding left dangling at the line's end.
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + "\n";
  }
  return out;
}

std::string summaryLine(const FleetSummary& s) {
  std::string line = "sites " + std::to_string(s.sites) + ": online " + std::to_string(s.online) +
                     ", offline " + std::to_string(s.offline);
  if (s.link_unknown > 0) line += ", link unknown " + std::to_string(s.link_unknown);
  line += ", stale " + std::to_string(s.stale) + ", unhealthy " + std::to_string(s.unhealthy) +
          "; policy versions:";
  std::string versions;
  // In version order, with the sites no report speaks for last.
  for (const auto& [version, count] : s.policy_versions) {
    if (version) versions += " " + versionText(version) + " x" + std::to_string(count) + ",";
  }
  if (auto unknown = s.policy_versions.find(std::nullopt); unknown != s.policy_versions.end()) {
    versions += " unknown x" + std::to_string(unknown->second) + ",";
  }
  if (versions.empty()) versions = " none,";
  line += versions.substr(0, versions.size() - 1);
  if (s.forged > 0 || s.foreign_signer > 0) {
    line += "; forged reports at " + std::to_string(s.forged) + ", foreign signer at " +
            std::to_string(s.foreign_signer);
  }
  return line;
}

}  // namespace gw::fleet
