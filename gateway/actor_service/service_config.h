#pragma once
// lantaarn-actor's configuration: the YAML file (proto/gateway/v1/actor_service.proto) loaded,
// checked completely and resolved once into typed settings, every problem reported at
// file:line:column like the gateway's policy. Relative paths are relative to the config file.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gateway/actor/mqtt_protocol.h"
#include "gateway/config/config_error.h"
#include "gateway/v1/data.pb.h"

namespace gw::actor_service {

struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;
};

struct BrokerSettings {
  std::string url;
  std::string client_id;
  std::string username;
  std::string password_file;  // empty: no password
  std::optional<TlsFiles> tls;
  std::chrono::milliseconds silence_after{60'000};
  actor::MqttProtocol protocol = actor::MqttProtocol::kAuto;  // broker.mqtt_version
  uint16_t receive_maximum = 65535;                           // MQTT 5 only
};

// Which messages a sink takes. Empty lists take everything.
struct SinkFilter {
  std::vector<std::string> kinds;       // measurement, event, aggregate, health
  std::vector<std::string> detectors;   // events only
  std::vector<std::string> severities;  // events only: info, advisory, warning, alarm
  bool accepts(const gateway::v1::ActorMessage& message) const;
};

// The kind of an ActorMessage as a filter names it; "health" for the gateway's health events.
std::string messageKind(const gateway::v1::ActorMessage& message);
// "alarm" for SEVERITY_ALARM, ...
std::string severityName(gateway::v1::Severity severity);

enum class SinkType { kJsonLines, kWebhook, kCap, kMqtt, kPostgres };

struct SinkSettings {
  std::string name;
  SinkType type = SinkType::kJsonLines;
  SinkFilter filter;
  std::chrono::milliseconds retry_min{1000};
  std::chrono::milliseconds retry_max{60'000};
  std::chrono::milliseconds timeout{10'000};    // webhook and CAP POSTs
  std::string path;                             // json_lines: a file, or "-" for stdout
  std::string url;                              // webhook, CAP (POST), mqtt (broker)
  std::string directory;                        // CAP: one file per alert
  std::string sender;                           // CAP
  std::string topic_prefix = "lantaarn-plain";  // mqtt
  BrokerSettings broker;                        // mqtt: the actor's own broker
  std::string conninfo;                         // postgres: libpq connection string
  std::string password_file;                    // postgres: empty: no password
  std::string table_prefix = "lantaarn_";       // postgres
};

struct ServiceConfig {
  std::string actor;
  std::string site = "+";
  std::string key_file;
  std::vector<std::string> previous_key_files;  // held during a key rotation (docs/KEYS.md)
  std::vector<std::string> gateway_keys;
  BrokerSettings broker;
  std::filesystem::path state_dir;
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9274;
  int64_t max_age_ms = 0;
  int64_t max_future_ms = 300'000;
  uint64_t spool_max_bytes = 256u << 20;
  uint64_t spool_max_messages = 1'000'000;
  std::vector<SinkSettings> sinks;
  std::string file;  // where it came from, for messages
};

struct LoadedServiceConfig {
  std::optional<ServiceConfig> config;  // empty when there are errors
  config::ConfigErrors errors;
};

LoadedServiceConfig loadServiceConfig(const std::filesystem::path& file);

}  // namespace gw::actor_service
