#include "gateway/config/gateway_settings_validator.h"

#include <filesystem>

#include "gateway/core/durations.h"

namespace gw::config {
namespace {

using namespace gateway::v1;

constexpr uint32_t kMaxBatchReadings = 10000;
constexpr double kMaxLingerSeconds = 60;

void requireFile(const std::string& path, const std::string& file, const char* what,
                 Checker& check) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    check.fail(path, std::string("no such ") + what + ": " + file);
}

// Sets `*text` to `fallback` when empty, then checks that it is a duration.
void duration(std::string* text, const char* fallback, const std::string& path, Checker& check) {
  if (text->empty()) *text = fallback;
  if (!parseDurationSeconds(*text)) {
    check.fail(path, "'" + *text + "' is not a duration (expected e.g. 100ms, 1s, 30s, 5m)");
  }
}

void size(std::string* text, const char* fallback, const std::string& path, Checker& check) {
  if (text->empty()) *text = fallback;
  if (!parseByteSize(*text)) {
    check.fail(path, "'" + *text + "' is not a size (expected e.g. 512KiB, 64MiB, 1GiB or bytes)");
  }
}

void validateBroker(Broker* broker, const std::string& site_id, Checker& check) {
  if (broker->url().empty()) broker->set_url("tcp://127.0.0.1:1883");
  if (broker->client_id().empty()) broker->set_client_id("lantaarn-gw-" + site_id);
  const bool tls_url =
      broker->url().rfind("ssl://", 0) == 0 || broker->url().rfind("mqtts://", 0) == 0;
  if (!tls_url && broker->url().rfind("tcp://", 0) != 0 && broker->url().rfind("mqtt://", 0) != 0) {
    check.fail("gateway.broker.url",
               "'" + broker->url() +
                   "' is not a broker URL (expected tcp://host:port or ssl://host:port)");
  }
  if (!broker->password_file().empty()) {
    requireFile("gateway.broker.password_file", broker->password_file(), "password file", check);
    if (broker->username().empty()) {
      check.fail("gateway.broker.username", "a password_file needs a username");
    }
  }
  if (broker->has_tls()) {
    const auto& tls = broker->tls();
    if (!tls_url) {
      check.fail("gateway.broker.tls",
                 "tls settings need an ssl:// broker url, not " + broker->url());
    }
    if (!tls.ca_file().empty())
      requireFile("gateway.broker.tls.ca_file", tls.ca_file(), "CA file", check);
    if (!tls.cert_file().empty()) {
      requireFile("gateway.broker.tls.cert_file", tls.cert_file(), "certificate file", check);
    }
    if (!tls.key_file().empty())
      requireFile("gateway.broker.tls.key_file", tls.key_file(), "key file", check);
    if (tls.cert_file().empty() != tls.key_file().empty()) {
      check.fail("gateway.broker.tls.key_file",
                 "cert_file and key_file go together (the client certificate and its key)");
    }
  }
  if (broker->mqtt_version().empty()) broker->set_mqtt_version("auto");
  const std::string& v = broker->mqtt_version();
  if (v != "auto" && v != "5" && v != "3.1.1") {
    check.fail("gateway.broker.mqtt_version",
               "'" + v + "' is not an MQTT version (expected auto, 5 or 3.1.1)");
  }
  duration(broker->mutable_reconnect_min(), "1s", "gateway.broker.reconnect_min", check);
  duration(broker->mutable_reconnect_max(), "30s", "gateway.broker.reconnect_max", check);
  auto min = parseDurationSeconds(broker->reconnect_min());
  auto max = parseDurationSeconds(broker->reconnect_max());
  if (min && max && *min > *max) {
    check.fail("gateway.broker.reconnect_max", "reconnect_max must not be below reconnect_min");
  }
}

void validateOutbox(OutboxSettings* outbox, Checker& check) {
  if (outbox->fsync() == FSYNC_POLICY_UNSPECIFIED) outbox->set_fsync(FSYNC_POLICY_GROUP_COMMIT);
  duration(outbox->mutable_fsync_interval(), "100ms", "gateway.outbox.fsync_interval", check);
  size(outbox->mutable_max_total_size(), "256MiB", "gateway.outbox.max_total_size", check);
  size(outbox->mutable_max_actor_size(), "64MiB", "gateway.outbox.max_actor_size", check);
  auto total = parseByteSize(outbox->max_total_size());
  auto actor = parseByteSize(outbox->max_actor_size());
  if (total && actor && *actor > *total) {
    check.fail("gateway.outbox.max_actor_size", "max_actor_size must not exceed max_total_size");
  }
}

}  // namespace

void validateGatewaySettings(GatewaySettings* settings, const std::string& site_id,
                             Checker& check) {
  if (settings->max_inflight() == 0) settings->set_max_inflight(20);
  if (settings->max_inflight() > 65535) {
    check.fail("gateway.max_inflight", "max_inflight is at most 65535 (MQTT packet ids)");
  }
  if (settings->outbox_max_messages() == 0) settings->set_outbox_max_messages(100000);
  validateBroker(settings->mutable_broker(), site_id, check);
  validateOutbox(settings->mutable_outbox(), check);
}

void validateRouteBatch(Route* route, const std::string& path, Checker& check) {
  if (!route->has_batch()) return;
  auto* batch = route->mutable_batch();
  if (batch->max_readings() < 2 || batch->max_readings() > kMaxBatchReadings) {
    check.fail(path + ".batch.max_readings",
               "max_readings must be between 2 and " + std::to_string(kMaxBatchReadings));
  }
  duration(batch->mutable_linger(), "100ms", path + ".batch.linger", check);
  if (auto linger = parseDurationSeconds(batch->linger()); linger && *linger > kMaxLingerSeconds) {
    check.fail(path + ".batch.linger", "linger is at most 60s (readings wait that long in memory)");
  }
  if (route->from().measurements_size() == 0) {
    check.fail(path + ".batch", "batch applies to measurements; this route sends none");
  }
}

}  // namespace gw::config
