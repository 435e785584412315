#include "gateway/actor_service/service_config.h"

#include <libpq-fe.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "gateway/actor_service/sinks/postgres_schema.h"
#include "gateway/config/yaml_to_proto.h"
#include "gateway/core/durations.h"
#include "gateway/core/listen_address.h"
#include "gateway/v1/actor_service.pb.h"

namespace gw::actor_service {
namespace {

namespace fs = std::filesystem;
using config::ConfigErrors;
using config::PositionMap;

const std::set<std::string> kKinds = {"measurement", "event", "aggregate", "health"};
const std::set<std::string> kSeverities = {"info", "advisory", "warning", "alarm"};
const std::set<std::string> kHealthKinds = {"camera_online", "camera_offline", "detector_crashed",
                                            "detector_disabled", "detector_enabled"};

// Collects problems at the position the key was written, or its nearest written parent.
class Checker {
 public:
  Checker(std::string file, const PositionMap& positions, ConfigErrors* errors)
      : file_(std::move(file)), positions_(positions), errors_(errors) {}

  void error(const std::string& key_path, const std::string& message) const {
    std::string path = key_path;
    while (!path.empty() && positions_.count(path) == 0) {
      const auto cut = path.find_last_of(".[");
      path = cut == std::string::npos ? std::string() : path.substr(0, cut);
    }
    const auto it = positions_.find(path);
    const int line = it == positions_.end() ? 0 : it->second.line;
    const int column = it == positions_.end() ? 0 : it->second.column;
    errors_->push_back({file_, line, column, key_path, message});
  }

  // A duration setting; `fallback` when unset.
  std::chrono::milliseconds duration(const std::string& text, const std::string& key_path,
                                     std::chrono::milliseconds fallback, bool allow_zero) const {
    if (text.empty()) return fallback;
    const auto seconds = parseDurationSeconds(text);
    if (!seconds || *seconds < 0 || (!allow_zero && *seconds == 0)) {
      error(key_path, "'" + text + "' is not a duration" + (allow_zero ? "" : " above zero") +
                          " (e.g. 500ms, 30s, 5m)");
      return fallback;
    }
    return std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000));
  }

  void required(const std::string& value, const std::string& key_path) const {
    if (value.empty()) error(key_path, "is required");
  }

 private:
  std::string file_;
  const PositionMap& positions_;
  ConfigErrors* errors_;
};

std::string resolvePath(const std::string& path, const fs::path& base) {
  if (path.empty() || path == "-" || fs::path(path).is_absolute()) return path;
  return (base / path).lexically_normal().string();
}

std::optional<TlsFiles> resolveTls(const gateway::v1::ActorTls& tls, bool present,
                                   const fs::path& base) {
  if (!present) return std::nullopt;
  TlsFiles out;
  out.ca_file = resolvePath(tls.ca_file(), base);
  out.cert_file = resolvePath(tls.cert_file(), base);
  out.key_file = resolvePath(tls.key_file(), base);
  out.verify_hostname = !tls.has_verify_hostname() || tls.verify_hostname();
  return out;
}

// The same rules as the gateway's broker settings (publisher/broker_rules): TLS only with
// ssl://, a client certificate with its key, a password with a username.
BrokerSettings resolveBroker(const gateway::v1::ActorBroker& in, bool has_tls,
                             const std::string& prefix, const fs::path& base,
                             const Checker& check) {
  BrokerSettings out;
  out.url = in.url();
  out.client_id = in.client_id();
  out.username = in.username();
  out.password_file = resolvePath(in.password_file(), base);
  out.tls = resolveTls(in.tls(), has_tls, base);
  check.required(out.url, prefix + ".url");
  const bool ssl = out.url.rfind("ssl://", 0) == 0;
  if (!out.url.empty() && !ssl && out.url.rfind("tcp://", 0) != 0) {
    check.error(prefix + ".url", "'" + out.url + "' is not tcp://HOST:PORT or ssl://HOST:PORT");
  }
  if (out.tls && !ssl) check.error(prefix + ".tls", "tls needs an ssl:// url");
  if (ssl && !out.tls) out.tls = TlsFiles{};  // verify against the system's trust store
  if (out.tls && out.tls->cert_file.empty() != out.tls->key_file.empty()) {
    check.error(prefix + ".tls", "cert_file and key_file go together");
  }
  if (!out.password_file.empty() && out.username.empty()) {
    check.error(prefix + ".password_file", "a password needs a username");
  }
  out.silence_after =
      check.duration(in.silence_after(), prefix + ".silence_after", out.silence_after, false);
  if (!in.mqtt_version().empty()) {
    if (const auto protocol = actor::parseMqttProtocol(in.mqtt_version())) {
      out.protocol = *protocol;
    } else {
      check.error(prefix + ".mqtt_version", "'" + in.mqtt_version() + "' is not auto, 5 or 3.1.1");
    }
  }
  if (in.receive_maximum() > 65535) {
    check.error(prefix + ".receive_maximum", "is at most 65535 (MQTT 5 gives it 16 bits)");
  } else if (in.receive_maximum() > 0) {
    out.receive_maximum = static_cast<uint16_t>(in.receive_maximum());
  }
  return out;
}

void checkNames(const google::protobuf::RepeatedPtrField<std::string>& values,
                const std::set<std::string>& allowed, const std::string& key_path,
                const Checker& check) {
  for (int i = 0; i < values.size(); ++i) {
    if (allowed.count(values[i]) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      check.error(key_path + "[" + std::to_string(i) + "]",
                  "'" + values[i] + "' is not one of: " + list);
    }
  }
}

// The connection string is parsed by libpq here, so a typo is reported at its line rather than
// as a sink that never connects; a password in it is refused, since the config file is not the
// place for secrets (password_file is).
void resolvePostgres(const gateway::v1::PostgresSink& in, const std::string& prefix,
                     const fs::path& base, const Checker& check, SinkSettings* out) {
  out->conninfo = in.conninfo();
  out->password_file = resolvePath(in.password_file(), base);
  if (!in.table_prefix().empty()) out->table_prefix = in.table_prefix();
  check.required(out->conninfo, prefix + ".conninfo");
  if (!out->conninfo.empty()) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(out->conninfo.c_str(), &error);
    if (options == nullptr) {
      std::string message = error != nullptr ? error : "cannot be parsed (out of memory)";
      while (!message.empty() && message.back() == '\n') message.pop_back();
      // Not echoed: a malformed string may still hold a password.
      check.error(prefix + ".conninfo", "is not a libpq connection string: " + message);
    } else {
      for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (std::string_view(o->keyword) == "password" && o->val != nullptr) {
          check.error(prefix + ".conninfo", "holds a password: put it in password_file");
        }
      }
      PQconninfoFree(options);
    }
    PQfreemem(error);
  }
  if (!validTablePrefix(out->table_prefix)) {
    check.error(prefix + ".table_prefix",
                "'" + out->table_prefix +
                    "' is not a lower-case letter or _ followed by lower-case letters, digits "
                    "and _ (at most 40)");
  }
}

SinkSettings resolveSink(const gateway::v1::ActorSink& in, const std::string& prefix,
                         const fs::path& base, const Checker& check) {
  SinkSettings out;
  out.name = in.name();
  check.required(out.name, prefix + ".name");
  if (!out.name.empty() && !std::all_of(out.name.begin(), out.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
      })) {
    check.error(prefix + ".name", "'" + out.name + "' may hold only letters, digits, - and _");
  }
  const auto& filter = in.filter();
  checkNames(filter.kinds(), kKinds, prefix + ".filter.kinds", check);
  checkNames(filter.severities(), kSeverities, prefix + ".filter.severities", check);
  out.filter.kinds.assign(filter.kinds().begin(), filter.kinds().end());
  out.filter.detectors.assign(filter.detectors().begin(), filter.detectors().end());
  out.filter.severities.assign(filter.severities().begin(), filter.severities().end());
  out.retry_min = check.duration(in.retry_min(), prefix + ".retry_min", out.retry_min, false);
  out.retry_max = check.duration(in.retry_max(), prefix + ".retry_max", out.retry_max, false);
  if (out.retry_max < out.retry_min) {
    check.error(prefix + ".retry_max", "is below retry_min");
  }
  const int kinds = int{in.has_json_lines()} + int{in.has_webhook()} + int{in.has_cap()} +
                    int{in.has_mqtt()} + int{in.has_postgres()};
  if (kinds != 1) {
    check.error(prefix,
                "a sink is exactly one of json_lines, webhook, cap, mqtt, postgres (found " +
                    std::to_string(kinds) + ")");
    return out;
  }
  if (in.has_json_lines()) {
    out.type = SinkType::kJsonLines;
    out.path = resolvePath(in.json_lines().path(), base);
    check.required(out.path, prefix + ".json_lines.path");
  } else if (in.has_webhook()) {
    out.type = SinkType::kWebhook;
    out.url = in.webhook().url();
    check.required(out.url, prefix + ".webhook.url");
    if (!out.url.empty() && out.url.rfind("http://", 0) != 0) {
      check.error(prefix + ".webhook.url", "'" + out.url + "' is not an http:// URL");
    }
    out.timeout =
        check.duration(in.webhook().timeout(), prefix + ".webhook.timeout", out.timeout, false);
  } else if (in.has_cap()) {
    out.type = SinkType::kCap;
    out.url = in.cap().url();
    out.directory = resolvePath(in.cap().directory(), base);
    out.sender = in.cap().sender();
    if (out.url.empty() == out.directory.empty()) {
      check.error(prefix + ".cap", "give either url (POST each alert) or directory");
    }
    if (!out.url.empty() && out.url.rfind("http://", 0) != 0) {
      check.error(prefix + ".cap.url", "'" + out.url + "' is not an http:// URL");
    }
    out.timeout = check.duration(in.cap().timeout(), prefix + ".cap.timeout", out.timeout, false);
  } else if (in.has_postgres()) {
    out.type = SinkType::kPostgres;
    resolvePostgres(in.postgres(), prefix + ".postgres", base, check, &out);
  } else {
    out.type = SinkType::kMqtt;
    const auto& m = in.mqtt();
    gateway::v1::ActorBroker broker;
    broker.set_url(m.url());
    broker.set_client_id(m.client_id());
    broker.set_username(m.username());
    broker.set_password_file(m.password_file());
    *broker.mutable_tls() = m.tls();
    out.broker = resolveBroker(broker, m.has_tls(), prefix + ".mqtt", base, check);
    if (!m.topic_prefix().empty()) out.topic_prefix = m.topic_prefix();
    if (out.topic_prefix.find_first_of("#+") != std::string::npos) {
      check.error(prefix + ".mqtt.topic_prefix", "may not hold MQTT wildcards");
    }
  }
  return out;
}

ServiceConfig resolve(const gateway::v1::ActorServiceConfig& in, const fs::path& file,
                      const Checker& check) {
  const fs::path base = file.parent_path();
  ServiceConfig out;
  out.file = file.string();
  out.actor = in.actor();
  check.required(out.actor, "actor");
  if (out.actor.find_first_of("/#+") != std::string::npos) {
    check.error("actor", "'" + out.actor + "' may not hold / # or +");
  }
  if (!in.site().empty()) out.site = in.site();
  if (out.site != "+" && out.site.find_first_of("/#+") != std::string::npos) {
    check.error("site", "'" + out.site + "' is a site id or +");
  }
  out.key_file = resolvePath(in.key_file(), base);
  check.required(out.key_file, "key_file");
  std::set<std::string> key_files = {out.key_file};
  for (int i = 0; i < in.previous_key_files_size(); ++i) {
    const std::string key_path = "previous_key_files[" + std::to_string(i) + "]";
    std::string path = resolvePath(in.previous_key_files(i), base);
    check.required(path, key_path);
    if (!path.empty() && !key_files.insert(path).second) {
      check.error(key_path, "'" + path + "' is already one of this actor's keys");
    }
    out.previous_key_files.push_back(std::move(path));
  }
  for (const auto& key : in.gateway_keys()) out.gateway_keys.push_back(resolvePath(key, base));
  if (out.gateway_keys.empty()) check.error("gateway_keys", "pin at least one gateway key");
  out.broker = resolveBroker(in.broker(), in.broker().has_tls(), "broker", base, check);
  if (out.broker.client_id.empty()) {
    check.error("broker.client_id", "is required: the broker keeps this actor's session under it");
  }
  out.state_dir = resolvePath(in.state_dir(), base);
  check.required(in.state_dir(), "state_dir");
  if (!in.listen().empty()) {
    auto listen = parseListenAddress(in.listen());
    if (!listen.ok()) {
      check.error("listen", listen.status().message());
    } else {
      out.listen_host = listen->host;
      out.listen_port = listen->port;
    }
  }
  out.max_age_ms =
      check
          .duration(in.receiver().max_age(), "receiver.max_age", std::chrono::milliseconds(0), true)
          .count();
  out.max_future_ms = check
                          .duration(in.receiver().max_future(), "receiver.max_future",
                                    std::chrono::milliseconds(out.max_future_ms), false)
                          .count();
  if (!in.spool().max_bytes().empty()) {
    auto bytes = parseByteSize(in.spool().max_bytes());
    if (!bytes || *bytes < 4096) {
      check.error("spool.max_bytes",
                  "'" + in.spool().max_bytes() + "' is not a size of 4KiB or more");
    } else {
      out.spool_max_bytes = *bytes;
    }
  }
  if (in.spool().max_messages() > 0) out.spool_max_messages = in.spool().max_messages();
  std::set<std::string> names;
  for (int i = 0; i < in.sinks_size(); ++i) {
    const std::string prefix = "sinks[" + std::to_string(i) + "]";
    SinkSettings sink = resolveSink(in.sinks(i), prefix, base, check);
    if (!sink.name.empty() && !names.insert(sink.name).second) {
      check.error(prefix + ".name", "sink '" + sink.name + "' is defined twice");
    }
    out.sinks.push_back(std::move(sink));
  }
  if (out.sinks.empty()) check.error("sinks", "configure at least one sink");
  return out;
}

}  // namespace

std::string severityName(gateway::v1::Severity severity) {
  switch (severity) {
    case gateway::v1::SEVERITY_INFO:
      return "info";
    case gateway::v1::SEVERITY_ADVISORY:
      return "advisory";
    case gateway::v1::SEVERITY_WARNING:
      return "warning";
    case gateway::v1::SEVERITY_ALARM:
      return "alarm";
    default:
      return "unspecified";
  }
}

std::string messageKind(const gateway::v1::ActorMessage& message) {
  switch (message.body_case()) {
    case gateway::v1::ActorMessage::kMeasurement:
    case gateway::v1::ActorMessage::kMeasurementBatch:
      return "measurement";
    case gateway::v1::ActorMessage::kAggregate:
      return "aggregate";
    case gateway::v1::ActorMessage::kEvent:
      return kHealthKinds.count(message.event().kind()) > 0 ? "health" : "event";
    default:
      return "unknown";
  }
}

bool SinkFilter::accepts(const gateway::v1::ActorMessage& message) const {
  auto listed = [](const std::vector<std::string>& list, const std::string& value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
  };
  if (!listed(kinds, messageKind(message))) return false;
  if (message.body_case() != gateway::v1::ActorMessage::kEvent) {
    // Detector and severity lists narrow the events; other kinds pass them only when the
    // filter names no event property at all.
    return kinds.empty() ? detectors.empty() && severities.empty() : true;
  }
  return listed(detectors, message.event().detector_id()) &&
         listed(severities, severityName(message.event().severity()));
}

LoadedServiceConfig loadServiceConfig(const fs::path& file) {
  LoadedServiceConfig result;
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::ParserException& e) {
    result.errors.push_back({file.string(), e.mark.line + 1, e.mark.column + 1, "", e.msg});
    return result;
  } catch (const YAML::Exception& e) {
    result.errors.push_back({file.string(), 0, 0, "", e.what()});
    return result;
  }
  gateway::v1::ActorServiceConfig proto;
  PositionMap positions;
  config::mapYamlToProto(root, &proto, "",
                         config::YamlMapContext{file.string(), &result.errors, &positions});
  Checker check(file.string(), positions, &result.errors);
  ServiceConfig resolved = resolve(proto, file, check);
  if (result.errors.empty()) result.config = std::move(resolved);
  return result;
}

}  // namespace gw::actor_service
