#include "gateway/config/policy_validator.h"

#include <filesystem>
#include <set>

#include "gateway/config/checker.h"
#include "gateway/config/gateway_settings_validator.h"
#include "gateway/config/source_validator.h"
#include "gateway/core/durations.h"
#include "gateway/core/listen_address.h"
#include "gateway/crypto/key_file.h"
#include "gateway/privacy/minimiser.h"

namespace gw::config {
namespace {

namespace fs = std::filesystem;
using namespace gateway::v1;

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// A duration setting: the default when absent, else a positive duration within [min_s, max_s].
void checkDuration(std::string* value, const std::string& path, const char* fallback,
                   const char* min, const char* max, Checker& check) {
  if (value->empty()) *value = fallback;
  auto seconds = parseDurationSeconds(*value);
  if (!seconds || *seconds < *parseDurationSeconds(min) || *seconds > *parseDurationSeconds(max)) {
    check.fail(path, "'" + *value + "' is not a duration from " + min + " to " + max + " (e.g. " +
                         fallback + ")");
  }
}

void validateEnvelopeSettings(GatewaySettings* settings, Checker& check) {
  if (!settings->identity_key_file().empty()) {
    if (auto key = crypto::readIdentityKeyFile(settings->identity_key_file()); !key.ok()) {
      check.fail("gateway.identity_key_file", key.status().message());
    }
  }
  auto* epochs = settings->mutable_epochs();
  checkDuration(epochs->mutable_max_age(), "gateway.epochs.max_age", "1h", "1s", "7d", check);
  if (epochs->max_messages() == 0) epochs->set_max_messages(1'000'000);
  if (epochs->max_messages() < 16) {
    check.fail("gateway.epochs.max_messages", "an epoch needs room for at least 16 envelopes");
  }
  // The evidence promise is a checkpoint at least every second; shorter is allowed.
  checkDuration(settings->mutable_checkpoint_interval(), "gateway.checkpoint_interval", "1s",
                "10ms", "1s", check);
}

// The privacy stage's route settings (docs/PRIVACY.md): what the validator refuses here cannot
// be configured at all.
void validatePrivacySettings(const Route& route, const std::string& path, Checker& check) {
  const bool snapshot =
      route.snapshot() == SNAPSHOT_MODE_ANONYMISED || route.snapshot() == SNAPSHOT_MODE_RAW;
  if (snapshot && route.from().detectors_size() == 0) {
    check.fail(path + ".snapshot",
               "snapshots go with camera detector events: name detectors in from.detectors or "
               "drop the snapshot");
  }
  if (route.coordinate_precision_m() > 100'000) {
    check.fail(path + ".coordinate_precision_m",
               "at most 100000 (100 km); 0 keeps locations as measured");
  }
  const bool aggregated = route.has_aggregate();
  if (aggregated) {
    std::string interval = route.aggregate().interval();
    checkDuration(&interval, path + ".aggregate.interval", "15m", "1m", "1d", check);
    if (snapshot) {
      check.fail(path + ".snapshot",
                 "an aggregated route sends counts per interval, never images; use snapshot: "
                 "none");
    }
  }
  if (route.open_data()) {
    if (!aggregated) {
      check.fail(path + ".open_data",
                 "an open-data route is published unencrypted for anyone, so it may only carry "
                 "aggregates: add aggregate: {interval: 15m}");
    }
    if (route.snapshot() != SNAPSHOT_MODE_UNSPECIFIED && route.snapshot() != SNAPSHOT_MODE_NONE) {
      check.fail(path + ".snapshot", "an open-data route never carries snapshots");
    }
  }
}

}  // namespace

void validatePolicy(Policy* policy, const PositionMap& positions, const std::string& fallback_file,
                    ConfigErrors* errors) {
  Checker check(positions, fallback_file, errors);

  if (!policy->has_site()) {
    check.fail("site", "site is required (id, name, location, operator_contact)");
  } else {
    check.requireId("site.id", policy->site().id(), "site id");
  }

  auto* gw_settings = policy->mutable_gateway();
  validateGatewaySettings(gw_settings, policy->site().id(), check);
  validateEnvelopeSettings(gw_settings, check);

  if (gw_settings->ops().listen().empty()) gw_settings->mutable_ops()->set_listen("127.0.0.1:9273");
  if (auto parsed = parseListenAddress(gw_settings->ops().listen());
      gw_settings->ops().listen() != "off" && !parsed.ok()) {
    check.fail("gateway.ops.listen", parsed.status().message());
  }
  if (gw_settings->ops().stall_after().empty()) gw_settings->mutable_ops()->set_stall_after("5m");
  const std::string& stall_after = gw_settings->ops().stall_after();
  if (stall_after != "0" && stall_after != "0s" && !parseDurationSeconds(stall_after)) {
    check.fail("gateway.ops.stall_after", "'" + gw_settings->ops().stall_after() +
                                              "' is not a duration (e.g. 90s, 5m, 0s for off)");
  }

  std::map<std::string, std::set<std::string>> actor_purposes;
  for (int i = 0; i < policy->actors_size(); ++i) {
    const auto& actor = policy->actors(i);
    const std::string path = "actors[" + std::to_string(i) + "]";
    check.requireId(path + ".id", actor.id(), "actor id");
    if (!actor.id().empty() && actor_purposes.count(actor.id())) {
      check.fail(path + ".id", "duplicate actor id '" + actor.id() + "'");
    }
    auto& purposes = actor_purposes[actor.id()];
    for (const auto& p : actor.purposes()) purposes.insert(p);
    if (actor.purposes_size() == 0) {
      check.fail(path + ".purposes",
                 "actor '" + actor.id() + "' has no purposes; list what it is authorised for");
    }
    if (actor.public_key_file().empty()) {
      check.fail(path + ".public_key_file",
                 "public_key_file is required (write one with `gatewayctl keygen`)");
    } else if (auto key = crypto::readPublicKeyFile(actor.public_key_file()); !key.ok()) {
      check.fail(path + ".public_key_file", key.status().message());
    }
  }

  std::set<std::string> source_ids;
  for (int i = 0; i < policy->sources_size(); ++i) {
    const auto& source = policy->sources(i);
    const std::string path = "sources[" + std::to_string(i) + "]";
    check.requireId(path + ".id", source.id(), "source id");
    if (!source.id().empty() && !source_ids.insert(source.id()).second) {
      check.fail(path + ".id", "duplicate source id '" + source.id() + "'");
    }
    validateSource(source, path, check);
  }

  std::set<std::string> detector_ids;
  for (int i = 0; i < policy->detectors_size(); ++i) {
    auto* detector = policy->mutable_detectors(i);
    const std::string path = "detectors[" + std::to_string(i) + "]";
    check.requireId(path + ".id", detector->id(), "detector id");
    if (!detector->id().empty() && !detector_ids.insert(detector->id()).second) {
      check.fail(path + ".id", "duplicate detector id '" + detector->id() + "'");
    }
    for (int s = 0; s < detector->sources_size(); ++s) {
      if (!source_ids.count(detector->sources(s))) {
        check.fail(path + ".sources[" + std::to_string(s) + "]",
                   "unknown source '" + detector->sources(s) +
                       "' (defined sources: " + join(source_ids) + ")");
      }
    }
    if (detector->kind_case() == Detector::KIND_NOT_SET) {
      check.fail(path,
                 "detector '" + detector->id() +
                     "' needs a kind (threshold, air_quality, water_nuisance, fall or plugin)");
      continue;
    }
    if (detector->has_plugin()) {
      std::error_code ec;
      if (detector->plugin().path().empty()) {
        check.fail(path + ".plugin.path", "path is required (the plugin's .so)");
      } else if (!fs::is_regular_file(detector->plugin().path(), ec)) {
        check.fail(path + ".plugin.path", "no such plugin: " + detector->plugin().path());
      }
    }
    if (!detector->has_threshold()) continue;  // the other kinds validate their own defaults
    auto* t = detector->mutable_threshold();
    if (t->quantity().empty()) check.fail(path + ".threshold.quantity", "quantity is required");
    if (!positions.count(path + ".threshold.clear_below")) t->set_clear_below(t->above());
    if (t->clear_below() > t->above()) {
      check.fail(path + ".threshold.clear_below", "clear_below must not exceed above");
    }
    if (t->severity() == SEVERITY_UNSPECIFIED) t->set_severity(SEVERITY_WARNING);
  }

  std::set<std::string> route_ids;
  for (int i = 0; i < policy->routes_size(); ++i) {
    auto* route = policy->mutable_routes(i);
    const std::string path = "routes[" + std::to_string(i) + "]";
    if (route->id().empty()) route->set_id("route-" + std::to_string(i));
    if (!route_ids.insert(route->id()).second) {
      check.fail(path + ".id", "duplicate route id '" + route->id() + "'");
    }
    auto actor = actor_purposes.find(route->to());
    std::set<std::string> actor_ids;
    for (const auto& [id, _] : actor_purposes) actor_ids.insert(id);
    if (route->to().empty()) {
      check.fail(path + ".to", "to is required (an actor id)");
    } else if (actor == actor_purposes.end()) {
      check.fail(path + ".to",
                 "unknown actor '" + route->to() + "' (defined actors: " + join(actor_ids) + ")");
    }
    if (route->purpose().empty()) {
      check.fail(path + ".purpose", "purpose is required: data is only sent for a stated purpose");
    } else if (actor != actor_purposes.end() && !actor->second.count(route->purpose())) {
      check.fail(path + ".purpose", "actor '" + route->to() + "' is not authorised for purpose '" +
                                        route->purpose() +
                                        "' (its purposes: " + join(actor->second) + ")");
    }
    const auto& from = route->from();
    if (from.measurements_size() == 0 && from.detectors_size() == 0 && from.health_size() == 0) {
      check.fail(path + ".from", "from must name measurements, detectors or health events");
    }
    for (int h = 0; h < from.health_size(); ++h) {
      if (from.health(h) != "camera_offline" && from.health(h) != "camera_online") {
        check.fail(path + ".from.health[" + std::to_string(h) + "]",
                   "unknown health event '" + from.health(h) +
                       "' (expected camera_offline or camera_online)");
      }
    }
    for (int d = 0; d < from.detectors_size(); ++d) {
      if (!detector_ids.count(from.detectors(d))) {
        check.fail(path + ".from.detectors[" + std::to_string(d) + "]",
                   "unknown detector '" + from.detectors(d) +
                       "' (defined detectors: " + join(detector_ids) + ")");
      }
    }
    for (int s = 0; s < from.sources_size(); ++s) {
      if (!source_ids.count(from.sources(s))) {
        check.fail(
            path + ".from.sources[" + std::to_string(s) + "]",
            "unknown source '" + from.sources(s) + "' (defined sources: " + join(source_ids) + ")");
      }
    }
    if (route->snapshot() == SNAPSHOT_MODE_RAW && route->legal_basis().empty()) {
      check.fail(path + ".snapshot",
                 "a raw snapshot leaves the box only with a legal_basis (e.g. \"art. 151c "
                 "Gemeentewet\"); add one or use snapshot: anonymised");
    }
    validatePrivacySettings(*route, path, check);
    if (!route->rate_limit().empty() && !parseRatePerSecond(route->rate_limit())) {
      check.fail(path + ".rate_limit",
                 "'" + route->rate_limit() + "' is not a rate (expected N/s, N/min, N/h or N/d)");
    }
    if (!route->ttl().empty() && !parseDurationSeconds(route->ttl())) {
      check.fail(path + ".ttl",
                 "'" + route->ttl() + "' is not a duration (expected e.g. 30s, 15m, 72h, 28d)");
    }
    validateRouteBatch(route, path, check);
    if (route->retention().empty()) route->set_retention("72h");
    if (!parseDurationSeconds(route->retention())) {
      check.fail(path + ".retention",
                 "'" + route->retention() + "' is not a duration (expected e.g. 72h or 28d)");
    }
    for (int f = 0; f < route->fields_size(); ++f) {
      if (!privacy::isKnownField(route->fields(f))) {
        check.fail(path + ".fields[" + std::to_string(f) + "]",
                   "unknown field '" + route->fields(f) +
                       "' (known fields: " + privacy::knownFieldList() + ")");
      }
    }
  }
}

}  // namespace gw::config
