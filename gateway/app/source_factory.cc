#include "gateway/app/source_factory.h"

#include "gateway/core/files.h"
#include "gateway/privacy/privacy_mask.h"
#include "gateway/sources/camera/camera_source.h"
#include "gateway/sources/listeners/http_push_listener.h"
#include "gateway/sources/listeners/mqtt_subscription_source.h"
#include "gateway/sources/listeners/tcp_listener.h"
#include "gateway/sources/listeners/udp_listener.h"
#include "gateway/sources/sensor/file_replay_source.h"

namespace gw::app {
namespace {

using namespace gateway::v1;

sources::GuardConfig guardFrom(const SensorSource& sensor) {
  sources::GuardConfig guard;
  guard.allowed_sensor_refs = {sensor.sensor_ids().begin(), sensor.sensor_ids().end()};
  const auto& limits = sensor.limits();
  if (limits.max_future_seconds() > 0)
    guard.max_future_ms = int64_t{limits.max_future_seconds()} * 1000;
  if (limits.max_age_seconds() > 0) guard.max_age_ms = int64_t{limits.max_age_seconds()} * 1000;
  guard.max_readings_per_second = limits.max_readings_per_second();
  if (limits.burst() > 0) guard.burst = limits.burst();
  return guard;
}

sources::ListenerConfig listenerFrom(const Source& config, const std::string& address,
                                     uint32_t port) {
  sources::ListenerConfig listener;
  listener.source_id = config.id();
  if (!address.empty()) listener.bind_address = address;
  listener.port = static_cast<uint16_t>(port);
  if (config.sensor().limits().max_message_bytes() > 0) {
    listener.max_message_bytes = config.sensor().limits().max_message_bytes();
  }
  listener.guard = guardFrom(config.sensor());
  return listener;
}

Result<pipeline::SourcePtr> createSensorSource(const Source& config, SourceContext& ctx) {
  const auto& sensor = config.sensor();
  switch (sensor.transport_case()) {
    case SensorSource::kReplay:
      return pipeline::SourcePtr(std::make_unique<sources::FileReplaySource>(
          config, ctx.executor, ctx.sink, ctx.counters));
    case SensorSource::kUdp: {
      auto listener = listenerFrom(config, sensor.udp().address(), sensor.udp().port());
      return pipeline::SourcePtr(
          std::make_unique<sources::UdpListener>(listener, ctx.executor, ctx.sink, ctx.counters));
    }
    case SensorSource::kTcp: {
      auto listener = listenerFrom(config, sensor.tcp().address(), sensor.tcp().port());
      if (sensor.format() == SENSOR_FORMAT_LENGTH_PREFIXED_PROTOBUF) {
        listener.format = sources::WireFormat::kLengthPrefixedProtobuf;
      }
      if (sensor.tcp().max_connections() > 0)
        listener.max_connections = sensor.tcp().max_connections();
      return pipeline::SourcePtr(
          std::make_unique<sources::TcpListener>(listener, ctx.executor, ctx.sink, ctx.counters));
    }
    case SensorSource::kHttp: {
      auto listener = listenerFrom(config, sensor.http().address(), sensor.http().port());
      listener.format = sources::WireFormat::kSensorCommunityPush;
      if (!sensor.http().path().empty()) listener.http_path = sensor.http().path();
      if (sensor.http().max_connections() > 0)
        listener.max_connections = sensor.http().max_connections();
      return pipeline::SourcePtr(std::make_unique<sources::HttpPushListener>(
          listener, ctx.executor, ctx.sink, ctx.counters));
    }
    case SensorSource::kMqtt: {
      sources::MqttSourceConfig mqtt;
      mqtt.source_id = config.id();
      mqtt.broker_url = sensor.mqtt().broker_url();
      mqtt.client_id = sensor.mqtt().client_id().empty()
                           ? "lantaarn-src-" + ctx.site_id + "-" + config.id()
                           : sensor.mqtt().client_id();
      mqtt.username = sensor.mqtt().username();
      if (!sensor.mqtt().password_file().empty()) {
        auto password = readFile(sensor.mqtt().password_file());
        if (!password.ok()) return password.status();
        mqtt.password = *password;
        while (!mqtt.password.empty() &&
               (mqtt.password.back() == '\n' || mqtt.password.back() == '\r')) {
          mqtt.password.pop_back();
        }
      }
      mqtt.topics = {sensor.mqtt().topics().begin(), sensor.mqtt().topics().end()};
      mqtt.format = sensor.format() == SENSOR_FORMAT_JSON_READING
                        ? sources::MqttPayloadFormat::kJsonReading
                        : sources::MqttPayloadFormat::kTtnV3Uplink;
      for (const auto& f : sensor.ttn().fields()) mqtt.ttn.fields[f.field()] = f.quantity();
      for (const auto& c : sensor.ttn().lpp_channels()) {
        mqtt.ttn.lpp_analog_channels[static_cast<int>(c.channel())] = c.quantity();
      }
      if (sensor.limits().max_message_bytes() > 0)
        mqtt.max_message_bytes = sensor.limits().max_message_bytes();
      mqtt.guard = guardFrom(sensor);
      return pipeline::SourcePtr(std::make_unique<sources::MqttSubscriptionSource>(
          mqtt, ctx.executor, ctx.sink, ctx.counters));
    }
    case SensorSource::TRANSPORT_NOT_SET:
      break;
  }
  return invalidArgument("source '" + config.id() + "' has no transport");
}

}  // namespace

Result<pipeline::SourcePtr> createSource(const Source& config, SourceContext& ctx) {
  if (config.has_sensor()) return createSensorSource(config, ctx);
  if (config.has_camera()) {
    const auto& cam = config.camera();
    sources::CameraConfig camera;
    camera.camera_id = config.id();
    camera.uri = cam.uri();
    camera.processing_fps = cam.fps() > 0 ? cam.fps() : 5;
    camera.width = cam.width() > 0 ? static_cast<int>(cam.width()) : 640;
    camera.height = cam.height() > 0 ? static_cast<int>(cam.height()) : 360;
    camera.loop = cam.loop();
    camera.realtime = cam.realtime();
    if (cam.privacy_masks_size() > 0) {
      auto mask = std::make_shared<const privacy::PrivacyMask>(cam.privacy_masks(), camera.width,
                                                               camera.height);
      camera.privacy_filter = [mask](cv::Mat& image) { mask->apply(image); };
    }
    return pipeline::SourcePtr(
        std::make_unique<sources::CameraSource>(camera, ctx.counters, ctx.health));
  }
  return invalidArgument("source '" + config.id() + "' has no kind (sensor or camera)");
}

}  // namespace gw::app
