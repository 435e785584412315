// The `gateway` section: broker connection (-> the publisher), outbox, epochs and checkpoints
// (-> the sealer), and the ops endpoint.
#include <filesystem>

#include "gateway/config/defaults.h"
#include "gateway/config/resolve_sections.h"
#include "gateway/config/setting_values.h"
#include "gateway/core/durations.h"
#include "gateway/core/files.h"
#include "gateway/core/listen_address.h"
#include "gateway/crypto/sealer_rules.h"
#include "gateway/outbox/outbox_rules.h"
#include "gateway/pipeline/topics.h"
#include "gateway/publisher/broker_rules.h"
#include "gateway/router/route_rules.h"

namespace gw::config {
namespace {

using namespace gateway::v1;

constexpr std::string_view kExpectedDuration = "(expected e.g. 100ms, 1s, 30s, 5m)";

bool requireFile(const std::string& path, const std::string& file, const char* what,
                 Checker& check) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(file, ec)) return true;
  check.fail(path, std::string("no such ") + what + ": " + file);
  return false;
}

void resolveBroker(Broker* broker, const std::string& site_id, uint32_t max_inflight,
                   publisher::PublisherConfig& pub, Checker& check) {
  if (broker->url().empty()) broker->set_url(std::string(defaults::kBrokerUrl));
  if (broker->client_id().empty()) {
    broker->set_client_id(std::string(defaults::kBrokerClientIdPrefix) + site_id);
  }
  pub.broker_url = broker->url();
  pub.client_id = broker->client_id();
  pub.username = broker->username();
  pub.max_inflight = max_inflight;
  pub.status_topic = std::string(pipeline::kTopicRoot) + "/" + site_id + "/_gateway/status";
  if (!broker->password_file().empty() &&
      requireFile("gateway.broker.password_file", broker->password_file(), "password file",
                  check)) {
    if (auto password = readSecretFile(broker->password_file()); password.ok()) {
      pub.password = std::move(password).value();
    } else {
      check.fail("gateway.broker.password_file", password.status().message());
    }
  }
  if (broker->has_tls()) {
    const auto& tls = broker->tls();
    if (!tls.ca_file().empty())
      requireFile("gateway.broker.tls.ca_file", tls.ca_file(), "CA file", check);
    if (!tls.cert_file().empty()) {
      requireFile("gateway.broker.tls.cert_file", tls.cert_file(), "certificate file", check);
    }
    if (!tls.key_file().empty())
      requireFile("gateway.broker.tls.key_file", tls.key_file(), "key file", check);
    pub.tls = publisher::TlsConfig{tls.ca_file(), tls.cert_file(), tls.key_file(),
                                   !tls.insecure_skip_hostname_verification()};
  }
  if (broker->mqtt_version().empty()) broker->set_mqtt_version(std::string(defaults::kMqttVersion));
  if (auto version = publisher::parseMqttVersion(broker->mqtt_version())) {
    pub.mqtt_version = *version;
  } else {
    check.fail(
        "gateway.broker.mqtt_version",
        "'" + broker->mqtt_version() + "' is not an MQTT version (expected auto, 5 or 3.1.1)");
  }
  if (auto d = resolveDuration(broker->mutable_reconnect_min(), defaults::kReconnectMin,
                               "gateway.broker.reconnect_min", kExpectedDuration, check)) {
    pub.reconnect_min = *d;
  }
  if (auto d = resolveDuration(broker->mutable_reconnect_max(), defaults::kReconnectMax,
                               "gateway.broker.reconnect_max", kExpectedDuration, check)) {
    pub.reconnect_max = *d;
  }
  publisher::checkBroker(*broker, pub, check);
}

void resolveOutbox(GatewaySettings* settings, outbox::SegmentOutboxOptions& box, Checker& check) {
  if (settings->outbox_max_messages() == 0) {
    settings->set_outbox_max_messages(defaults::kOutboxMaxMessages);
  }
  box.max_messages = settings->outbox_max_messages();
  auto* o = settings->mutable_outbox();
  if (o->fsync() == FSYNC_POLICY_UNSPECIFIED) o->set_fsync(FSYNC_POLICY_GROUP_COMMIT);
  switch (o->fsync()) {
    case FSYNC_POLICY_EVERY_RECORD:
      box.fsync = outbox::FsyncPolicy::kEveryRecord;
      break;
    case FSYNC_POLICY_INTERVAL:
      box.fsync = outbox::FsyncPolicy::kInterval;
      break;
    default:
      box.fsync = outbox::FsyncPolicy::kGroupCommit;
      break;
  }
  if (auto d = resolveDuration(o->mutable_fsync_interval(), defaults::kFsyncInterval,
                               "gateway.outbox.fsync_interval", kExpectedDuration, check)) {
    box.fsync_interval = *d;
  }
  auto total = resolveSize(o->mutable_max_total_size(), defaults::kOutboxMaxTotalSize,
                           "gateway.outbox.max_total_size", check);
  auto actor = resolveSize(o->mutable_max_actor_size(), defaults::kOutboxMaxActorSize,
                           "gateway.outbox.max_actor_size", check);
  if (total) box.max_total_bytes = *total;
  if (actor) box.max_actor_bytes = *actor;
  if (total && actor) outbox::checkOutboxOptions(box, check);
}

void resolveEnvelopes(GatewaySettings* settings, crypto::SealerOptions& sealer, Checker& check) {
  if (!settings->identity_key_file().empty()) {
    if (auto key = crypto::readIdentityKeyFile(settings->identity_key_file()); !key.ok()) {
      check.fail("gateway.identity_key_file", key.status().message());
    }
  }
  auto* epochs = settings->mutable_epochs();
  if (auto d = resolveBoundedDuration(epochs->mutable_max_age(), defaults::kEpochMaxAge, "1s", "7d",
                                      "gateway.epochs.max_age", check)) {
    sealer.epoch.max_age = *d;
  }
  if (epochs->max_messages() == 0) epochs->set_max_messages(defaults::kEpochMaxMessages);
  sealer.epoch.max_messages = epochs->max_messages();
  crypto::checkSealerOptions(sealer, check);
  // The evidence promise is a checkpoint at least every second; shorter is allowed.
  if (auto d = resolveBoundedDuration(settings->mutable_checkpoint_interval(),
                                      defaults::kCheckpointInterval, "10ms", "1s",
                                      "gateway.checkpoint_interval", check)) {
    sealer.checkpoint_interval = *d;
  }
}

void resolveBacklogBatching(BacklogBatching* settings, std::optional<router::BacklogBatching>& out,
                            Checker& check) {
  constexpr const char* kPath = "gateway.backlog_batching";
  if (settings->mode().empty()) settings->set_mode(std::string(defaults::kBacklogBatchingMode));
  if (settings->above() == 0) settings->set_above(defaults::kBacklogBatchingAbove);
  if (settings->max_readings() == 0) settings->set_max_readings(defaults::kBacklogBatchMaxReadings);
  router::BacklogBatching rule;
  rule.above = settings->above();
  rule.batch.max_readings = settings->max_readings();
  if (auto d = resolveDuration(settings->mutable_linger(), defaults::kBacklogBatchLinger,
                               std::string(kPath) + ".linger", kExpectedDuration, check)) {
    rule.batch.linger = *d;
  }
  router::checkBacklogBatching(rule, kPath, check);
  if (settings->mode() == "on") {
    out = rule;
  } else if (settings->mode() != "off") {
    check.fail(std::string(kPath) + ".mode",
               "'" + settings->mode() + "' is not a mode (expected on or off)");
  }
}

void resolveOps(OpsSettings* settings, std::optional<ops::OpsServerOptions>& out, Checker& check) {
  ops::OpsServerOptions ops;
  if (settings->listen().empty()) settings->set_listen(std::string(defaults::kOpsListen));
  const bool off = settings->listen() == "off";
  if (!off) {
    if (auto address = parseListenAddress(settings->listen()); address.ok()) {
      ops.host = address->host;
      ops.port = address->port;
    } else {
      check.fail("gateway.ops.listen", address.status().message());
    }
  }
  if (settings->stall_after().empty())
    settings->set_stall_after(std::string(defaults::kStallAfter));
  const std::string& stall_after = settings->stall_after();
  if (stall_after == "0" || stall_after == "0s") {
    ops.stall_after = std::chrono::seconds(0);  // the stall check is off
  } else if (auto seconds = parseDurationSeconds(stall_after)) {
    ops.stall_after = std::chrono::seconds(static_cast<int64_t>(*seconds));
  } else {
    check.fail("gateway.ops.stall_after",
               "'" + stall_after + "' is not a duration (e.g. 90s, 5m, 0s for off)");
  }
  if (!off) out = ops;
}

std::optional<std::chrono::milliseconds> fleetDuration(std::string* text, std::string_view fallback,
                                                       const std::string& path, Checker& check) {
  if (text->empty()) *text = std::string(fallback);
  auto seconds = parseDurationSeconds(*text);
  if (!seconds || *seconds < 1 || *seconds > 86400) {
    check.fail(
        path, "'" + *text + "' is not a duration from 1s to 24h " + std::string(kExpectedDuration));
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000));
}

// gateway.fleet: only read when the section is there; a site outside a fleet takes no bundles.
void resolveFleet(FleetSettings* settings, std::optional<FleetOptions>& out, Checker& check) {
  constexpr std::string_view kPath = "gateway.fleet";
  FleetOptions fleet;
  if (settings->operator_keys().empty()) {
    check.fail(std::string(kPath) + ".operator_keys",
               "a fleet needs at least one operator public key (gatewayctl keygen --operator)");
  }
  for (int i = 0; i < settings->operator_keys_size(); ++i) {
    const std::string path = std::string(kPath) + ".operator_keys[" + std::to_string(i) + "]";
    const std::string& file = settings->operator_keys(i);
    if (!requireFile(path, file, "operator key file", check)) continue;
    auto key = crypto::readIdentityPublicKeyFile(file, crypto::KeyRole::kOperator);
    if (!key.ok()) {
      check.fail(path, key.status().message());
      continue;
    }
    fleet.operator_keys.push_back(std::move(key).value());
  }
  if (!settings->group().empty()) {
    check.requireId(std::string(kPath) + ".group", settings->group(), "group name");
  }
  fleet.group = settings->group();
  auto probation = fleetDuration(settings->mutable_probation(), defaults::kFleetProbation,
                                 std::string(kPath) + ".probation", check);
  auto interval = fleetDuration(settings->mutable_status_interval(), defaults::kFleetStatusInterval,
                                std::string(kPath) + ".status_interval", check);
  if (settings->operator_broker_user().empty()) {
    settings->set_operator_broker_user(std::string(defaults::kFleetOperatorBrokerUser));
  }
  fleet.operator_broker_user = settings->operator_broker_user();
  if (probation) fleet.probation = *probation;
  if (interval) fleet.status_interval = *interval;
  out = std::move(fleet);
}

}  // namespace

void resolveGateway(ResolvedPolicy& out, Checker& check) {
  auto* settings = out.policy.mutable_gateway();
  if (settings->max_inflight() == 0) settings->set_max_inflight(defaults::kMaxInflight);
  if (settings->max_inflight() > 65535) {
    check.fail("gateway.max_inflight", "max_inflight is at most 65535 (MQTT packet ids)");
  }
  resolveBroker(settings->mutable_broker(), out.policy.site().id(), settings->max_inflight(),
                out.publisher, check);
  resolveOutbox(settings, out.outbox, check);
  resolveEnvelopes(settings, out.sealer, check);
  resolveBacklogBatching(settings->mutable_backlog_batching(), out.backlog_batching, check);
  resolveOps(settings->mutable_ops(), out.ops, check);
  if (settings->has_fleet()) resolveFleet(settings->mutable_fleet(), out.fleet, check);
}

}  // namespace gw::config
