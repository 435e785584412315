#include "gateway/sources/source_rules.h"

#include <filesystem>
#include <set>

namespace gw::sources {
namespace {

using namespace gateway::v1;

std::string formatName(SensorFormat format) {
  std::string name = SensorFormat_Name(format).substr(std::string("SENSOR_FORMAT_").size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Which formats each transport can carry.
std::set<SensorFormat> formatsFor(SensorSource::TransportCase transport) {
  switch (transport) {
    case SensorSource::kReplay:
      return {SENSOR_FORMAT_SENSOR_COMMUNITY_CSV, SENSOR_FORMAT_RWS_WATERINFO_CSV,
              SENSOR_FORMAT_KNMI_HOURLY_CSV, SENSOR_FORMAT_GENERIC_CSV};
    case SensorSource::kUdp:
      return {SENSOR_FORMAT_JSON_READING};
    case SensorSource::kTcp:
      return {SENSOR_FORMAT_JSON_READING, SENSOR_FORMAT_LENGTH_PREFIXED_PROTOBUF};
    case SensorSource::kHttp:
      return {SENSOR_FORMAT_SENSOR_COMMUNITY_PUSH};
    case SensorSource::kMqtt:
      return {SENSOR_FORMAT_TTN_V3_UPLINK, SENSOR_FORMAT_JSON_READING};
    case SensorSource::TRANSPORT_NOT_SET:
      break;
  }
  return {};
}

void checkPort(uint32_t port, const std::string& path, ProblemSink& check) {
  if (port == 0 || port > 65535) check.fail(path, "port must be between 1 and 65535");
}

void checkSensor(const SensorSource& sensor, const std::string& path, ProblemSink& check) {
  if (sensor.transport_case() == SensorSource::TRANSPORT_NOT_SET) {
    check.fail(path, "a transport is required (replay, udp, tcp, http or mqtt)");
    return;
  }
  const auto allowed = formatsFor(sensor.transport_case());
  if (!allowed.count(sensor.format())) {
    std::string names;
    for (auto f : allowed) names += (names.empty() ? "" : ", ") + formatName(f);
    check.fail(path + ".format",
               sensor.format() == SENSOR_FORMAT_UNSPECIFIED
                   ? "format is required (for this transport: " + names + ")"
                   : "format " + formatName(sensor.format()) +
                         " cannot arrive over this transport (expected: " + names + ")");
  }
  switch (sensor.transport_case()) {
    case SensorSource::kReplay: {
      const auto& replay = sensor.replay();
      std::error_code ec;
      if (replay.path().empty()) {
        check.fail(path + ".replay.path", "path is required");
      } else if (!std::filesystem::is_regular_file(replay.path(), ec)) {
        check.fail(path + ".replay.path", "no such file: " + replay.path());
      }
      if (replay.speed() < 0) check.fail(path + ".replay.speed", "speed must be >= 0");
      break;
    }
    case SensorSource::kUdp:
      checkPort(sensor.udp().port(), path + ".udp.port", check);
      break;
    case SensorSource::kTcp:
      checkPort(sensor.tcp().port(), path + ".tcp.port", check);
      break;
    case SensorSource::kHttp:
      checkPort(sensor.http().port(), path + ".http.port", check);
      if (!sensor.http().path().empty() && sensor.http().path()[0] != '/') {
        check.fail(path + ".http.path", "path must start with '/'");
      }
      break;
    case SensorSource::kMqtt:
      if (sensor.mqtt().broker_url().empty())
        check.fail(path + ".mqtt.broker_url", "broker_url is required");
      if (sensor.mqtt().topics_size() == 0)
        check.fail(path + ".mqtt.topics", "at least one topic is required");
      if (const auto& v = sensor.mqtt().mqtt_version();
          !v.empty() && v != "auto" && v != "5" && v != "3.1.1") {
        check.fail(path + ".mqtt.mqtt_version",
                   "'" + v + "' is not an MQTT version (expected auto, 5 or 3.1.1)");
      }
      if (sensor.mqtt().receive_maximum() > 65535) {
        check.fail(path + ".mqtt.receive_maximum",
                   "receive_maximum is at most 65535 (MQTT 5 gives it 16 bits)");
      }
      break;
    case SensorSource::TRANSPORT_NOT_SET:
      break;
  }
  if (sensor.format() == SENSOR_FORMAT_GENERIC_CSV) {
    if (sensor.csv().time_column().empty())
      check.fail(path + ".csv.time_column", "time_column is required");
    if (sensor.csv().values_size() == 0)
      check.fail(path + ".csv.values", "at least one value column is required");
    const auto& tf = sensor.csv().time_format();
    if (!tf.empty() && tf != "iso8601" && tf != "unix_ms") {
      check.fail(path + ".csv.time_format",
                 "unknown time_format '" + tf + "' (expected iso8601 or unix_ms)");
    }
  }
}

void checkCamera(const CameraSource& camera, const std::string& path, ProblemSink& check) {
  if (camera.uri().empty())
    check.fail(path + ".uri", "uri is required (file, rtsp://, http://, /dev/videoN)");
  if (camera.fps() < 0 || camera.fps() > 60)
    check.fail(path + ".fps", "fps must be between 0 (default 5) and 60");
  for (int m = 0; m < camera.privacy_masks_size(); ++m) {
    const auto& mask = camera.privacy_masks(m);
    const std::string mask_path = path + ".privacy_masks[" + std::to_string(m) + "]";
    if (mask.points_size() < 3) check.fail(mask_path, "a mask needs at least three points");
    for (int p = 0; p < mask.points_size(); ++p) {
      const auto& pt = mask.points(p);
      if (pt.x() < 0 || pt.x() > 1 || pt.y() < 0 || pt.y() > 1) {
        check.fail(mask_path + ".points[" + std::to_string(p) + "]",
                   "mask points are fractions of the frame, between 0 and 1");
      }
    }
  }
  if (camera.width() > 7680 || camera.height() > 4320) {
    check.fail(path + ".width", "processing resolution above 7680x4320 is not supported");
  }
}

}  // namespace

void checkSource(const Source& source, const std::string& path, ProblemSink& check) {
  if (source.has_sensor()) {
    checkSensor(source.sensor(), path + ".sensor", check);
  } else if (source.has_camera()) {
    checkCamera(source.camera(), path + ".camera", check);
  } else {
    check.fail(path, "source '" + source.id() + "' needs a kind (sensor or camera)");
  }
}

}  // namespace gw::sources
