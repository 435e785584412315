#include "gateway/fleet/fleet_table.h"

#include <algorithm>

#include "gateway/pipeline/topics.h"

namespace gw::fleet {
namespace {

using gateway::v1::FleetReport;
using gateway::v1::PolicyStatus;

constexpr std::string_view kGatewayLevel = "/_gateway/";

// "lantaarn/v1/<site>/_gateway/<leaf>" -> {site, leaf}; nullopt for any other topic.
std::optional<std::pair<std::string, std::string>> splitTopic(std::string_view topic) {
  const std::string root = std::string(pipeline::kTopicRoot) + "/";
  if (!topic.starts_with(root)) return std::nullopt;
  topic.remove_prefix(root.size());
  const size_t at = topic.find(kGatewayLevel);
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  const std::string_view site = topic.substr(0, at);
  const std::string_view leaf = topic.substr(at + kGatewayLevel.size());
  if (site.find('/') != std::string_view::npos || leaf.empty() ||
      leaf.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::make_pair(std::string(site), std::string(leaf));
}

const char* outcomeName(PolicyStatus::Outcome outcome) {
  switch (outcome) {
    case PolicyStatus::OUTCOME_APPLIED:
      return "applied";
    case PolicyStatus::OUTCOME_CONFIRMED:
      return "confirmed";
    case PolicyStatus::OUTCOME_REFUSED:
      return "refused";
    case PolicyStatus::OUTCOME_ROLLED_BACK:
      return "rolled_back";
    case PolicyStatus::OUTCOME_LOCAL_ONLY:
      return "local_only";
    default:
      return "unknown";
  }
}

const char* bodyName(FleetReport::BodyCase body) {
  switch (body) {
    case FleetReport::kPolicy:
      return "policy";
    case FleetReport::kHealth:
      return "health";
    default:
      return "empty";
  }
}

// "finished" is a recorded source that played to its end: done, not broken.
bool componentFine(const gateway::v1::ComponentState& c) {
  return c.state() == "ok" || c.state() == "finished";
}

void countComponents(const google::protobuf::RepeatedPtrField<gateway::v1::ComponentState>& list,
                     const char* kind, int& fine, int& total, std::vector<std::string>& problems) {
  for (const auto& c : list) {
    ++total;
    if (componentFine(c)) {
      ++fine;
      continue;
    }
    std::string problem = std::string(kind) + " " + c.id() + " " + c.state();
    if (!c.detail().empty()) problem += ": " + c.detail();
    problems.push_back(std::move(problem));
  }
}

}  // namespace

FleetTable::FleetTable(FleetTableOptions options) : options_(std::move(options)) {}

void FleetTable::onMessage(std::string_view topic, const std::string& payload) {
  const auto parts = splitTopic(topic);
  if (!parts) return;
  const auto& [site_name, leaf] = *parts;
  if (leaf != "status" && leaf != "policy" && leaf != "health") return;
  Site& site = sites_[site_name];
  if (leaf == "status") {
    if (payload.empty()) {
      site.link.reset();
    } else {
      site.link = payload;
    }
  } else if (leaf == "policy") {
    onReport(site_name, site.policy, payload, FleetReport::kPolicy);
  } else {
    onReport(site_name, site.health, payload, FleetReport::kHealth);
  }
  // A site whose every retained message was deleted has left the fleet.
  if (!site.link && !site.policy.report && site.policy.error.empty() && !site.health.report &&
      site.health.error.empty()) {
    sites_.erase(site_name);
  }
}

void FleetTable::onReport(const std::string& site, Slot& slot, const std::string& payload,
                          FleetReport::BodyCase expected) {
  const std::string leaf = bodyName(expected);
  if (payload.empty()) {
    slot = Slot{};
    return;
  }
  auto checked = checkFleetReport(payload, options_.gateway_keys);
  if (!checked.ok()) {
    slot.error = "forged report: " + leaf + ": " + checked.status().message();
    return;
  }
  // Authentic, but moved: another site's report, or another kind of report, copied onto this
  // topic by someone who may write it. The signature covers the site and the kind, not the topic.
  if (checked->report.site() != site) {
    slot.error = "forged report: " + leaf + ": signed for site " + checked->report.site() +
                 ", published on site " + site + "'s topic";
    return;
  }
  if (checked->report.body_case() != expected) {
    slot.error = "forged report: " + leaf + ": a " + bodyName(checked->report.body_case()) +
                 " report on the " + leaf + " topic";
    return;
  }
  // An older authentic report published again (a replay) does not replace the newer one held.
  if (slot.report && checked->report.sent_unix_ms() < slot.report->report.sent_unix_ms()) return;
  slot.report = std::move(checked).value();
  slot.error.clear();
}

SiteRow FleetTable::row(const std::string& name, const Site& site, int64_t now_unix_ms) const {
  SiteRow r;
  r.site = name;
  r.link =
      site.link && (*site.link == "online" || *site.link == "offline") ? *site.link : "unknown";
  for (const Slot* slot : {&site.policy, &site.health}) {
    if (!slot->error.empty()) r.errors.push_back(slot->error);
  }

  const CheckedReport* policy = site.policy.report ? &*site.policy.report : nullptr;
  const CheckedReport* health = site.health.report ? &*site.health.report : nullptr;
  r.trust = policy == nullptr && health == nullptr ? "none"
            : (policy == nullptr || policy->pinned) && (health == nullptr || health->pinned)
                ? "pinned"
                : "unpinned";
  const CheckedReport* latest = health != nullptr ? health : policy;
  if (latest != nullptr) {
    r.group = latest->report.group();
    r.gateway_key_id = latest->signer_key_id;
  }

  if (policy != nullptr) {
    const PolicyStatus& p = policy->report.policy();
    r.policy_outcome = outcomeName(p.outcome());
    r.policy_bundle_version = p.bundle_version();
    r.policy_reason = p.reason();
    r.policy_operator = p.operator_name();
    r.policy_signer_key_id = p.signer_key_id();
    r.running_version = p.running_version();
    const auto& operators = options_.operator_key_ids;
    r.foreign_signer =
        !p.signer_key_id().empty() &&
        std::find(operators.begin(), operators.end(), p.signer_key_id()) == operators.end();
  } else {
    r.policy_outcome = "unknown";
  }

  if (health != nullptr) {
    const auto& h = health->report.health();
    r.gateway_version = h.gateway_version();
    // Whichever report is newer says which version runs now.
    if (policy == nullptr || health->report.sent_unix_ms() >= policy->report.sent_unix_ms()) {
      r.running_version = h.policy_version();
    }
    countComponents(h.sources(), "source", r.sources_ok, r.sources_total, r.problems);
    countComponents(h.detectors(), "detector", r.detectors_ok, r.detectors_total, r.problems);
    r.outbox_messages = h.outbox_messages();
    r.outbox_oldest_age_seconds = h.outbox_oldest_age_seconds();
    r.broker_connected = h.broker_connected();
    if (!h.broker_connected()) r.problems.emplace_back("broker disconnected");
    r.last_error = h.last_error();
    if (!h.healthy() && r.problems.empty())
      r.problems.emplace_back("the gateway reports unhealthy");
    r.health = h.healthy() && r.problems.empty() ? "ok" : "unhealthy";
    // A gateway clock ahead of ours reads as just sent, not as a negative age.
    const int64_t age_ms = std::max<int64_t>(0, now_unix_ms - health->report.sent_unix_ms());
    r.summary_age_seconds = static_cast<double>(age_ms) / 1000.0;
    r.stale = age_ms > std::chrono::milliseconds(options_.stale_after).count();
  }

  const bool error = !r.errors.empty() || r.foreign_signer;
  r.state = error                 ? "error"
            : r.link == "offline" ? "offline"
            : r.link == "unknown" ? "unknown"
            : r.health != "ok"    ? "unhealthy"
            : r.stale             ? "stale"
                                  : "ok";
  r.ok = r.state == "ok";
  return r;
}

std::vector<SiteRow> FleetTable::rows(int64_t now_unix_ms) const {
  std::vector<SiteRow> rows;
  rows.reserve(sites_.size());
  for (const auto& [name, site] : sites_) rows.push_back(row(name, site, now_unix_ms));
  return rows;
}

FleetSummary summarize(const std::vector<SiteRow>& rows) {
  FleetSummary s;
  s.sites = static_cast<int>(rows.size());
  s.all_ok = !rows.empty();
  for (const auto& r : rows) {
    if (r.link == "online") ++s.online;
    if (r.link == "offline") ++s.offline;
    if (r.link == "unknown") ++s.link_unknown;
    if (r.stale) ++s.stale;
    if (r.health != "ok") ++s.unhealthy;
    if (!r.errors.empty()) ++s.forged;
    if (r.foreign_signer) ++s.foreign_signer;
    ++s.policy_versions[r.running_version];
    s.all_ok = s.all_ok && r.ok;
  }
  return s;
}

}  // namespace gw::fleet
