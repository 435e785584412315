// The `sources` section: ids, the sources stage's rules, and each source's settings as the
// sources stage builds it (listeners, subscriptions and cameras with their defaults applied, and
// a camera's privacy masks as the filter it runs on every frame).
#include <filesystem>

#include "gateway/config/defaults.h"
#include "gateway/config/resolve_sections.h"
#include "gateway/config/setting_values.h"
#include "gateway/core/files.h"
#include "gateway/privacy/privacy_mask.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "gateway/sources/sensor/formats/time_parse.h"
#include "gateway/sources/source_rules.h"

namespace gw::config {
namespace {

using namespace gateway::v1;

// Fills in the limits' defaults; `max_message_bytes` differs by transport.
sources::GuardConfig resolveLimits(SensorSource* sensor, uint32_t max_message_bytes) {
  auto* limits = sensor->mutable_limits();
  if (limits->max_message_bytes() == 0) limits->set_max_message_bytes(max_message_bytes);
  if (limits->max_future_seconds() == 0) {
    limits->set_max_future_seconds(defaults::kMaxFutureSeconds);
  }
  if (limits->max_age_seconds() == 0) limits->set_max_age_seconds(defaults::kMaxAgeSeconds);
  if (limits->burst() <= 0) limits->set_burst(defaults::kBurst);
  if (limits->reorder_tolerance_seconds() == 0) {
    limits->set_reorder_tolerance_seconds(defaults::kReorderToleranceSeconds);
  }
  sources::GuardConfig guard;
  guard.allowed_sensor_refs = {sensor->sensor_ids().begin(), sensor->sensor_ids().end()};
  guard.max_future_ms = int64_t{limits->max_future_seconds()} * 1000;
  guard.max_age_ms = int64_t{limits->max_age_seconds()} * 1000;
  guard.max_readings_per_second = limits->max_readings_per_second();
  guard.burst = limits->burst();
  guard.reorder_tolerance_ms = int64_t{limits->reorder_tolerance_seconds()} * 1000;
  return guard;
}

// A socket listener (udp, tcp, http): its address, port and limits.
template <typename Listen>
sources::ListenerConfig resolveListener(const std::string& id, SensorSource* sensor,
                                        Listen* listen) {
  if (listen->address().empty()) listen->set_address(std::string(defaults::kListenAddress));
  sources::ListenerConfig config;
  config.source_id = id;
  config.bind_address = listen->address();
  config.port = static_cast<uint16_t>(listen->port());
  config.guard = resolveLimits(sensor, defaults::kMaxMessageBytes);
  config.max_message_bytes = sensor->limits().max_message_bytes();
  return config;
}

// What the MQTT source holds itself and asks of its broker: protocol, intake buffer, Receive
// Maximum and session expiry. The rules (source_rules.cc) already checked the values as written.
void resolveMqttSession(MqttSubscribe* mqtt, const std::string& path,
                        sources::MqttSourceConfig& config, Checker& check) {
  if (mqtt->mqtt_version().empty()) mqtt->set_mqtt_version(std::string(defaults::kMqttVersion));
  switch (
      publisher::parseMqttVersion(mqtt->mqtt_version()).value_or(publisher::MqttVersion::kAuto)) {
    case publisher::MqttVersion::kAuto:
      config.protocol = sources::MqttProtocol::kAuto;
      break;
    case publisher::MqttVersion::kV5:
      config.protocol = sources::MqttProtocol::kV5;
      break;
    case publisher::MqttVersion::kV311:
      config.protocol = sources::MqttProtocol::kV311;
      break;
  }
  if (mqtt->intake_buffer() == 0) mqtt->set_intake_buffer(defaults::kMqttIntakeBuffer);
  config.intake_buffer = mqtt->intake_buffer();
  if (mqtt->receive_maximum() == 0) mqtt->set_receive_maximum(defaults::kMqttReceiveMaximum);
  config.receive_maximum =
      static_cast<uint16_t>(std::min<uint32_t>(mqtt->receive_maximum(), 65535));
  // An MQTT 5 Session Expiry Interval is 32 bits of seconds: at most about 136 years.
  if (auto d =
          resolveBoundedDuration(mqtt->mutable_session_expiry(), defaults::kMqttSessionExpiry, "1s",
                                 "49710d", path + ".sensor.mqtt.session_expiry", check)) {
    config.session_expiry = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
}

template <typename Listen>
void resolveConnections(Listen* listen, sources::ListenerConfig& config) {
  if (listen->max_connections() == 0) listen->set_max_connections(defaults::kMaxConnections);
  config.max_connections = listen->max_connections();
}

std::optional<sources::SourceSettings> resolveSensor(Source& source, const std::string& site_id,
                                                     const std::string& path, Checker& check) {
  auto* sensor = source.mutable_sensor();
  switch (sensor->transport_case()) {
    case SensorSource::kReplay: {
      if (sensor->limits().reorder_tolerance_seconds() == 0) {
        sensor->mutable_limits()->set_reorder_tolerance_seconds(defaults::kReorderToleranceSeconds);
      }
      sources::ReplaySettings replay{source, 0};
      if (const auto& start = sensor->replay().start(); !start.empty()) {
        if (auto ms = sources::parseIsoUtcMs(start); ms.ok()) {
          replay.start_unix_ms = *ms;
        } else {
          check.fail(path + ".sensor.replay.start",
                     "'" + start + "' is not a time (expected e.g. 2021-07-12T00:00:00Z)");
        }
      }
      return replay;
    }
    case SensorSource::kUdp: {
      auto config = resolveListener(source.id(), sensor, sensor->mutable_udp());
      return sources::ListenerSettings{sources::ListenerTransport::kUdp, std::move(config)};
    }
    case SensorSource::kTcp: {
      auto* tcp = sensor->mutable_tcp();
      auto config = resolveListener(source.id(), sensor, tcp);
      resolveConnections(tcp, config);
      if (sensor->format() == SENSOR_FORMAT_LENGTH_PREFIXED_PROTOBUF) {
        config.format = sources::WireFormat::kLengthPrefixedProtobuf;
      }
      return sources::ListenerSettings{sources::ListenerTransport::kTcp, std::move(config)};
    }
    case SensorSource::kHttp: {
      auto* http = sensor->mutable_http();
      auto config = resolveListener(source.id(), sensor, http);
      resolveConnections(http, config);
      if (http->path().empty()) http->set_path(std::string(defaults::kHttpPath));
      config.http_path = http->path();
      config.format = sources::WireFormat::kSensorCommunityPush;
      return sources::ListenerSettings{sources::ListenerTransport::kHttp, std::move(config)};
    }
    case SensorSource::kMqtt: {
      auto* mqtt = sensor->mutable_mqtt();
      sources::MqttSourceConfig config;
      config.source_id = source.id();
      config.broker_url = mqtt->broker_url();
      if (mqtt->client_id().empty()) {
        mqtt->set_client_id(std::string(defaults::kMqttSourceClientIdPrefix) + site_id + "-" +
                            source.id());
      }
      config.client_id = mqtt->client_id();
      config.username = mqtt->username();
      if (!mqtt->password_file().empty()) {
        if (auto password = readSecretFile(mqtt->password_file()); password.ok()) {
          config.password = std::move(password).value();
        } else {
          check.fail(path + ".sensor.mqtt.password_file", password.status().message());
        }
      }
      config.topics = {mqtt->topics().begin(), mqtt->topics().end()};
      config.format = sensor->format() == SENSOR_FORMAT_JSON_READING
                          ? sources::MqttPayloadFormat::kJsonReading
                          : sources::MqttPayloadFormat::kTtnV3Uplink;
      for (const auto& f : sensor->ttn().fields()) config.ttn.fields[f.field()] = f.quantity();
      for (const auto& c : sensor->ttn().lpp_channels()) {
        config.ttn.lpp_analog_channels[static_cast<int>(c.channel())] = c.quantity();
      }
      config.guard = resolveLimits(sensor, defaults::kMqttMaxMessageBytes);
      config.max_message_bytes = sensor->limits().max_message_bytes();
      resolveMqttSession(mqtt, path, config, check);
      return config;
    }
    case SensorSource::TRANSPORT_NOT_SET:
      break;
  }
  return std::nullopt;
}

sources::CameraConfig resolveCamera(Source& source) {
  auto* cam = source.mutable_camera();
  if (cam->fps() <= 0) cam->set_fps(defaults::kCameraFps);
  if (cam->width() == 0) cam->set_width(defaults::kCameraWidth);
  if (cam->height() == 0) cam->set_height(defaults::kCameraHeight);
  sources::CameraConfig camera;
  camera.camera_id = source.id();
  camera.uri = cam->uri();
  camera.processing_fps = cam->fps();
  camera.width = static_cast<int>(cam->width());
  camera.height = static_cast<int>(cam->height());
  camera.loop = cam->loop();
  camera.realtime = cam->realtime();
  camera.location = source.location();
  if (cam->privacy_masks_size() > 0) {
    // The privacy stage's masks, run by the camera on every frame before anyone sees it.
    auto mask = std::make_shared<const privacy::PrivacyMask>(cam->privacy_masks(), camera.width,
                                                             camera.height);
    camera.privacy_filter = [mask](cv::Mat& image) { mask->apply(image); };
  }
  return camera;
}

}  // namespace

void resolveSources(ResolvedPolicy& out, DefinedIds& ids, Checker& check) {
  for (int i = 0; i < out.policy.sources_size(); ++i) {
    auto* source = out.policy.mutable_sources(i);
    const std::string path = "sources[" + std::to_string(i) + "]";
    check.requireId(path + ".id", source->id(), "source id");
    if (!source->id().empty() && !ids.sources.insert(source->id()).second) {
      check.fail(path + ".id", "duplicate source id '" + source->id() + "'");
    }
    // The rules first, on the entry as written: a default must not hide a missing setting.
    sources::checkSource(*source, path, check);
    if (source->has_camera()) {
      out.sources.emplace_back(resolveCamera(*source));
    } else if (source->has_sensor()) {
      if (auto settings = resolveSensor(*source, out.policy.site().id(), path, check)) {
        out.sources.push_back(std::move(*settings));
      }
    }
  }
}

}  // namespace gw::config
