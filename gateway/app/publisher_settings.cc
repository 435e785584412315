#include "gateway/app/publisher_settings.h"

#include "gateway/core/durations.h"
#include "gateway/core/files.h"
#include "gateway/pipeline/topics.h"

namespace gw::app {
namespace {

std::chrono::milliseconds millis(const std::string& duration, std::chrono::milliseconds fallback) {
  auto seconds = parseDurationSeconds(duration);
  return seconds ? std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000)) : fallback;
}

}  // namespace

outbox::SegmentOutboxOptions outboxOptions(const gateway::v1::GatewaySettings& settings) {
  outbox::SegmentOutboxOptions box;
  box.max_messages = settings.outbox_max_messages();
  const auto& o = settings.outbox();
  switch (o.fsync()) {
    case gateway::v1::FSYNC_POLICY_EVERY_RECORD:
      box.fsync = outbox::FsyncPolicy::kEveryRecord;
      break;
    case gateway::v1::FSYNC_POLICY_INTERVAL:
      box.fsync = outbox::FsyncPolicy::kInterval;
      break;
    default:
      box.fsync = outbox::FsyncPolicy::kGroupCommit;
      break;
  }
  box.fsync_interval = millis(o.fsync_interval(), box.fsync_interval);
  if (auto total = parseByteSize(o.max_total_size())) box.max_total_bytes = *total;
  if (auto actor = parseByteSize(o.max_actor_size())) box.max_actor_bytes = *actor;
  return box;
}

Result<publisher::PublisherConfig> publisherConfig(const gateway::v1::Policy& policy,
                                                   const std::string& broker_url_override) {
  const auto& broker = policy.gateway().broker();
  publisher::PublisherConfig pub;
  pub.broker_url = broker_url_override.empty() ? broker.url() : broker_url_override;
  pub.client_id = broker.client_id();
  pub.username = broker.username();
  pub.max_inflight = policy.gateway().max_inflight();
  pub.status_topic =
      std::string(pipeline::kTopicRoot) + "/" + policy.site().id() + "/_gateway/status";
  if (!broker.password_file().empty()) {
    auto password = readFile(broker.password_file());
    if (!password.ok()) return password.status();
    pub.password = *password;
    // Editors and `echo` add a line end; it is never part of the password.
    while (!pub.password.empty() && (pub.password.back() == '\n' || pub.password.back() == '\r')) {
      pub.password.pop_back();
    }
  }
  if (broker.has_tls()) {
    publisher::TlsConfig tls;
    tls.ca_file = broker.tls().ca_file();
    tls.cert_file = broker.tls().cert_file();
    tls.key_file = broker.tls().key_file();
    tls.verify_hostname = !broker.tls().insecure_skip_hostname_verification();
    pub.tls = tls;
  }
  auto version = publisher::parseMqttVersion(broker.mqtt_version());
  if (!version) {
    return invalidArgument("gateway.broker.mqtt_version: '" + broker.mqtt_version() +
                           "' (expected auto, 5 or 3.1.1)");
  }
  pub.mqtt_version = *version;
  pub.reconnect_min = millis(broker.reconnect_min(), pub.reconnect_min);
  pub.reconnect_max = millis(broker.reconnect_max(), pub.reconnect_max);
  return pub;
}

}  // namespace gw::app
