// Privacy end to end through the built binaries and a real Mosquitto: gatewayd watches the
// bundled real fall (GMDCSA24 s3_Fall_20, MIT) through a masked camera and replays real PM10.
// The ambulance gets minimised fall events with an anonymised snapshot, the police the raw one
// (audited), the public hourly PM10 aggregates as plain JSON. Every snapshot that leaves the box
// is scanned by an independent face detector (tests/unit/privacy/face_scan.h); envelopes are
// opened with the actor library; what the box keeps is checked with `gatewayctl retention status`.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <signal.h>
#include <sodium.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/crypto/key_file.h"
#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/unit/privacy/face_scan.h"

namespace gw {
namespace {

using gw::testing::ChildProcess;
using gw::testing::waitUntil;
using nlohmann::json;

const std::filesystem::path kPmFile =
    gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv");
constexpr double kCamLat = 52.0907, kCamLon = 5.1214;

// PM10 rows of the file, by a plain split (not the gateway's parser).
size_t pm10RowsInFile() {
  std::ifstream in(kPmFile);
  std::string line;
  std::getline(in, line);
  size_t n = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ';');) c.push_back(cell);
    n += c.size() > 6 && !c[6].empty();
  }
  return n;
}

std::string sha256Hex(const std::string& bytes) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * sizeof d + 1];
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  return hex;
}

cv::Mat decode(const std::string& jpeg) {
  return cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
}

// The largest channel value in `area` and the spread around its mean (JPEG adds small ripples).
std::pair<double, double> maxAndSpread(const cv::Mat& image, const cv::Rect& area) {
  cv::Mat roi = image(area), gray;
  cv::cvtColor(roi, gray, cv::COLOR_BGR2GRAY);
  double lo = 0, hi = 0, max_value = 0;
  cv::minMaxLoc(gray, &lo, &hi);
  cv::minMaxLoc(roi.reshape(1), nullptr, &max_value);
  return {max_value, hi - lo};
}

class Collector {
 public:
  void add(const gateway::v1::ActorMessage& m) {
    std::lock_guard lock(mutex_);
    messages_.push_back(m);
  }
  std::vector<gateway::v1::ActorMessage> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<gateway::v1::ActorMessage> messages_;
};

class PrivacyE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::initSodium().ok());
    ASSERT_TRUE(
        crypto::writeIdentityKeyPair(crypto::generateIdentityKey("e2e-site"), keys(), "gateway")
            .ok());
    for (const char* actor : {"ambulance", "police", "public"}) {
      ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), keys()).ok());
    }
    std::ofstream(dir_ / "policy.yaml")
        << identityAndActors(
               "site: {id: e2e-site, name: Plein, operator_contact: privacy@gemeente.example}\n",
               {{"ambulance", "emergency_care"},
                {"police", "public_order"},
                {"public", "open_data"}})
        << "sources:\n"
           "  - id: cam\n"
           "    location: {lat: "
        << kCamLat << ", lon: " << kCamLon
        << "}\n"
           "    camera:\n"
           "      uri: "
        << gw::testing::testData("video/s3_Fall_20.mp4").string()
        << "\n"
           "      realtime: true\n"
           "      privacy_masks:\n"
           "        - points: [{x: 0.0, y: 0.0}, {x: 0.3, y: 0.0}, {x: 0.3, y: 0.25}, {x: 0.0, y: "
           "0.25}]\n"
           "  - id: pm\n"
           "    sensor: {format: sensor_community_csv, replay: {path: "
        << kPmFile.string()
        << ", speed: 0}}\n"
           "detectors:\n"
           // Under ThreadSanitizer a call takes ~250 ms: a generous budget keeps the host from
           // backing off in the middle of the fall.
           "  - {id: fall, sources: [cam], budget_ms: 5000, fall: {}}\n"
           "routes:\n"
           "  - id: ambulance-falls\n"
           "    from: {detectors: [fall]}\n"
           "    to: ambulance\n"
           "    purpose: emergency_care\n"
           "    legal_basis: \"GDPR art. 6(1)(d): vital interests\"\n"
           "    fields: [kind, severity, observed_unix_ms, location, summary]\n"
           "    snapshot: anonymised\n"
           "    coordinate_precision_m: 100\n"
           "  - id: police-footage\n"
           "    from: {detectors: [fall]}\n"
           "    to: police\n"
           "    purpose: public_order\n"
           "    legal_basis: \"art. 151c Gemeentewet\"\n"
           "    snapshot: raw\n"
           "    retention: 28d\n"
           "  - id: pm10-hourly\n"
           "    from: {measurements: [pm10]}\n"
           "    to: public\n"
           "    purpose: open_data\n"
           "    open_data: true\n"
           "    aggregate: {interval: 1h}\n"
           "    coordinate_precision_m: 1000\n";
  }

  std::filesystem::path keys() const { return dir_ / "keys"; }

  // A policy's gateway identity, `site` line and actors (id, purpose), with the keys SetUp wrote.
  std::string identityAndActors(
      const std::string& site,
      std::initializer_list<std::pair<const char*, const char*>> actors) const {
    std::string text =
        "gateway: {identity_key_file: " + (keys() / "gateway.key").string() + "}\n" + site;
    text += "actors:\n";
    for (const auto& [id, purpose] : actors) {
      text += std::string("  - {id: ") + id +
              ", public_key_file: " + (keys() / (std::string(id) + ".pub")).string() +
              ", purposes: [" + purpose + "]}\n";
    }
    return text;
  }

  std::unique_ptr<actor::ActorSubscriber> subscribe(const std::string& actor, Collector& into) {
    actor::SubscriberConfig config;
    config.broker_url = broker_.url();
    config.identity.site_id = "e2e-site";
    config.identity.actor_id = actor;
    config.identity.key = *crypto::readSecretKeyFile(keys() / (actor + ".key"));
    config.identity.gateways = {*crypto::readIdentityPublicKeyFile(keys() / "gateway.pub")};
    auto sub = std::make_unique<actor::ActorSubscriber>(config, [&into](const actor::Delivery& d) {
      if (d.received.verdict == actor::Verdict::kMessage) into.add(d.received.message);
    });
    EXPECT_TRUE(sub->start(std::chrono::seconds(10)).ok());
    return sub;
  }

  gw::testing::MosquittoBroker broker_;
  gw::testing::TempDir dir_;
};

TEST_F(PrivacyE2eTest, SnapshotsShowNoFaceMasksHoldEnvelopesAreMinimisedAndOpenDataIsAggregated) {
  Collector ambulance, police;
  auto ambulance_sub = subscribe("ambulance", ambulance);
  auto police_sub = subscribe("police", police);
  // The open-data topic, as any citizen reads it: plain MQTT, no key.
  std::mutex open_mutex;
  std::vector<std::string> open_data;
  mqtt::async_client citizen(broker_.url(), "citizen");
  citizen.set_message_callback([&](mqtt::const_message_ptr m) {
    std::lock_guard lock(open_mutex);
    open_data.push_back(m->to_string());
  });
  citizen.connect()->wait();
  citizen.subscribe("lantaarn/v1/e2e-site/public/#", 1)->wait();

  ChildProcess gatewayd(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "policy.yaml").string(), "--broker",
        broker_.url(), "--state-dir", (dir_ / "state").string()},
       {},
       dir_ / "gatewayd.out",
       dir_ / "gatewayd.err"});
  ASSERT_TRUE(waitUntil([&] { return !ambulance.messages().empty() && !police.messages().empty(); },
                        std::chrono::seconds(60)))
      << gatewayd.readStderr().substr(0, 4000);
  gatewayd.signal(SIGTERM);
  ASSERT_TRUE(gatewayd.wait(std::chrono::seconds(30)).has_value());
  const size_t expected_pm10 = pm10RowsInFile();
  auto open_count = [&] {
    std::lock_guard lock(open_mutex);
    uint64_t n = 0;
    for (const auto& text : open_data) {
      const json m = json::parse(text);  // named: a temporary would die before the loop body
      for (const auto& row : m["aggregate"]["rows"]) {
        n += std::stoull(row["count"].get<std::string>());
      }
    }
    return n;
  };
  EXPECT_TRUE(waitUntil([&] { return open_count() >= expected_pm10; }, std::chrono::seconds(10)));
  ambulance_sub->stop();
  police_sub->stop();
  citizen.disconnect()->wait();

  // 1. Minimised envelopes: the ambulance's event holds only the route's fields, location coarse.
  const auto to_ambulance = ambulance.messages();
  const auto to_police = police.messages();
  ASSERT_EQ(to_ambulance.size(), to_police.size()) << "one fall, one message each";
  const std::set<std::string> allowed = {"kind", "severity", "observed_unix_ms", "location",
                                         "summary"};
  gw::testing::IndependentFaceScan scan;
  ASSERT_TRUE(scan.loaded());
  for (size_t i = 0; i < to_ambulance.size(); ++i) {
    const auto& a = to_ambulance[i];
    const auto& p = to_police[i];
    ASSERT_TRUE(a.has_event());
    std::vector<const google::protobuf::FieldDescriptor*> present;
    a.event().GetReflection()->ListFields(a.event(), &present);
    for (const auto* field : present) {
      EXPECT_TRUE(allowed.count(field->name())) << "field " << field->name() << " leaked";
    }
    EXPECT_EQ(a.event().kind(), p.event().kind());
    EXPECT_TRUE(p.event().has_box()) << "the police route lists no fields: it gets the box";
    const double dlat = (a.event().location().lat() - kCamLat) * 111320;
    const double dlon =
        (a.event().location().lon() - kCamLon) * 111320 * std::cos(kCamLat * M_PI / 180);
    EXPECT_GT(std::hypot(dlat, dlon), 0.01) << "location not coarsened";
    EXPECT_LT(std::hypot(dlat, dlon), 75.0) << "coarsened beyond half a 100 m cell";

    // 2. Snapshots: anonymised for the ambulance, raw for the police, both of one frame.
    ASSERT_TRUE(a.has_snapshot());
    ASSERT_TRUE(p.has_snapshot());
    EXPECT_EQ(a.snapshot().form(), gateway::v1::SNAPSHOT_FORM_ANONYMISED);
    EXPECT_EQ(p.snapshot().form(), gateway::v1::SNAPSHOT_FORM_RAW);
    EXPECT_EQ(a.snapshot().captured_unix_ms(), p.snapshot().captured_unix_ms());
    const cv::Mat anonymised = decode(a.snapshot().image());
    const cv::Mat raw = decode(p.snapshot().image());
    ASSERT_FALSE(anonymised.empty());
    ASSERT_FALSE(raw.empty());
    EXPECT_EQ(anonymised.size(), cv::Size(640, 360));
    // No face: every face the independent scan sees in the raw frame is gone.
    const auto raw_faces = scan.faces(raw);
    const auto surviving = gw::testing::survivingFaces(scan.faces(anonymised), raw_faces);
    EXPECT_TRUE(surviving.empty()) << surviving.size() << " face(s) in the anonymised snapshot";
    std::printf("snapshot %zu: raw faces=%zu, anonymised faces=%zu, covered regions=%u\n", i,
                raw_faces.size(), scan.faces(anonymised).size(), a.snapshot().regions_covered());
    // The mask (top-left 192x90) is constant black in both, up to JPEG ripples; a margin of
    // 8 px keeps the 8x8 blocks that straddle the edge out.
    for (const cv::Mat* image : {&anonymised, &raw}) {
      auto [max_value, spread] = maxAndSpread(*image, cv::Rect(0, 0, 184, 82));
      EXPECT_LE(max_value, 6) << "masked area is not black";
      EXPECT_LE(spread, 6) << "masked area is not constant";
    }
    // The detector's region is a solid fill in the anonymised snapshot, not in the raw one.
    const auto& b = p.event().box();
    const cv::Rect inner =
        cv::Rect(b.x() + 8, b.y() + 8, b.width() - 16, b.height() - 16) & cv::Rect(0, 0, 640, 360);
    ASSERT_GT(inner.area(), 0);
    EXPECT_LE(maxAndSpread(anonymised, inner).second, 8) << "the fallen person is visible";
    EXPECT_GT(maxAndSpread(raw, inner).second, 20) << "the raw frame shows the scene";
  }

  // 3. Every raw snapshot is in the audit log, with the hash of the exact bytes sent.
  std::ifstream audit(dir_ / "state/audit/raw_snapshots.jsonl");
  std::vector<json> lines;
  for (std::string line; std::getline(audit, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), to_police.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["route"], "police-footage");
    EXPECT_EQ(lines[i]["legal_basis"], "art. 151c Gemeentewet");
    EXPECT_EQ(lines[i]["jpeg_sha256"], sha256Hex(to_police[i].snapshot().image()));
  }

  // 4. Open data: plain JSON, aggregates only, each PM10 reading of the file counted once.
  {
    std::lock_guard lock(open_mutex);
    ASSERT_FALSE(open_data.empty());
    std::printf("open data: %zu messages, first: %s\n", open_data.size(),
                open_data[0].substr(0, 400).c_str());
    for (const auto& text : open_data) {
      const json m = json::parse(text);  // not an envelope: readable by anyone
      EXPECT_FALSE(m.contains("measurement"));
      EXPECT_FALSE(m.contains("event"));
      EXPECT_FALSE(m.contains("snapshot"));
      ASSERT_TRUE(m.contains("aggregate")) << text;
    }
  }
  EXPECT_EQ(open_count(), expected_pm10);

  // 5. What the box keeps: the events of both routes, for 72 h and 28 d from their period.
  ChildProcess status({{gw::testing::appBinary("gatewayctl"), "retention", "status", "--state-dir",
                        (dir_ / "state").string(), "--json"},
                       {},
                       dir_ / "status.out",
                       dir_ / "status.err"});
  ASSERT_EQ(status.wait(std::chrono::seconds(20)).value_or(-1), 0) << status.readStderr();
  std::map<std::string, json> by_route;
  for (const auto& p : json::parse(status.readStdout())) by_route[p["route"]] = p;
  ASSERT_TRUE(by_route.count("ambulance-falls")) << status.readStdout();
  ASSERT_TRUE(by_route.count("police-footage")) << status.readStdout();
  EXPECT_EQ(by_route["ambulance-falls"]["records"], to_ambulance.size());
  EXPECT_EQ(by_route["police-footage"]["expires_unix_ms"].get<int64_t>() -
                by_route["police-footage"]["period_start_unix_ms"].get<int64_t>(),
            28LL * 24 * 3600 * 1000);
  EXPECT_EQ(by_route["ambulance-falls"]["expires_unix_ms"].get<int64_t>() -
                by_route["ambulance-falls"]["period_start_unix_ms"].get<int64_t>(),
            72LL * 3600 * 1000);
  EXPECT_FALSE(by_route.count("pm10-hourly")) << "measurements are not kept";
}

// A clip in which a person faces the camera (GMDCSA24 s3_ADL_07, ../shared/data), with a test
// plugin that raises an event every 2nd frame it gets: snapshots of frames with faces leave the
// box, and the independent scan must find in them none of the faces it finds in the raw frames.
TEST_F(PrivacyE2eTest, SnapshotsOfFramesWithFacesLeaveTheBoxWithoutThem) {
  const auto clip = gw::testing::sharedDataDir() / "video/gmdcsa24/s3_ADL_07.mp4";
  if (!std::filesystem::exists(clip)) GTEST_SKIP() << "no " << clip;
  const auto plugin = gw::testing::binaryDir() / "tests/plugin_abi/libgw_frame_plugin.so";
  std::ofstream(dir_ / "faces.yaml")
      << identityAndActors("site: {id: e2e-site}\n",
                           {{"ambulance", "emergency_care"}, {"police", "public_order"}})
      << "sources:\n"
         "  - {id: cam, camera: {uri: "
      << clip.string()
      << ", realtime: true, loop: true}}\n"
         "detectors:\n"
         "  - {id: frames, sources: [cam], plugin: {path: "
      << plugin.string()
      << ", params: {every: \"2\"}}}\n"
         "routes:\n"
         "  - {to: ambulance, purpose: emergency_care, from: {detectors: [frames]}, snapshot: "
         "anonymised}\n"
         "  - {to: police, purpose: public_order, from: {detectors: [frames]}, snapshot: raw, "
         "legal_basis: \"art. 151c Gemeentewet\"}\n";
  Collector ambulance, police;
  auto ambulance_sub = subscribe("ambulance", ambulance);
  auto police_sub = subscribe("police", police);
  ChildProcess gatewayd(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "faces.yaml").string(), "--broker",
        broker_.url(), "--state-dir", (dir_ / "state").string()},
       {},
       dir_ / "gatewayd.out",
       dir_ / "gatewayd.err"});
  ASSERT_TRUE(
      waitUntil([&] { return ambulance.messages().size() >= 3 && police.messages().size() >= 3; },
                std::chrono::seconds(60)))
      << gatewayd.readStderr().substr(0, 4000);
  gatewayd.signal(SIGTERM);
  ASSERT_TRUE(gatewayd.wait(std::chrono::seconds(30)).has_value());
  ambulance_sub->stop();
  police_sub->stop();
  std::map<int64_t, std::string> raw_by_time;
  for (const auto& p : police.messages()) {
    raw_by_time[p.snapshot().captured_unix_ms()] = p.snapshot().image();
  }
  gw::testing::IndependentFaceScan scan;
  size_t raw_with_faces = 0, compared = 0;
  for (const auto& a : ambulance.messages()) {
    ASSERT_TRUE(a.has_snapshot());
    ASSERT_EQ(a.snapshot().form(), gateway::v1::SNAPSHOT_FORM_ANONYMISED);
    auto raw = raw_by_time.find(a.snapshot().captured_unix_ms());
    ASSERT_NE(raw, raw_by_time.end());
    ++compared;
    const auto raw_faces = scan.faces(decode(raw->second));
    raw_with_faces += !raw_faces.empty();
    const auto surviving =
        gw::testing::survivingFaces(scan.faces(decode(a.snapshot().image())), raw_faces);
    EXPECT_TRUE(surviving.empty()) << "a face left the box in snapshot " << compared;
  }
  std::printf("snapshots compared=%zu raw with faces=%zu\n", compared, raw_with_faces);
  EXPECT_GE(raw_with_faces, 1u) << "no face in the raw frames: this run proves nothing";
}

// The anonymiser's models missing (an empty models directory): gatewayd does not start and
// `gatewayctl policy check` fails, both naming the file, rather than send events it cannot
// anonymise.
TEST_F(PrivacyE2eTest, WithoutTheModelsGatewaydRefusesToStartAndThePolicyCheckSaysWhy) {
  gw::testing::TempDir empty;
  const std::map<std::string, std::string> env = {{"LANTAARN_MODELS_DIR", empty.path().string()}};
  const std::string missing =
      (empty.path() / "bodypix_mnv1_050_s16_240x320_nchw_cv46.onnx").string() +
      " (BodyPix pose and person mask): no such file";
  ChildProcess check(
      {{gw::testing::appBinary("gatewayctl"), "policy", "check", (dir_ / "policy.yaml").string()},
       env,
       dir_ / "check.out",
       dir_ / "check.err"});
  auto checked = check.wait(std::chrono::seconds(30));
  ASSERT_TRUE(checked.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*checked), 1) << check.readStdout();
  EXPECT_NE(
      (check.readStdout() + check.readStderr())
          .find("routes[0].snapshot: an anonymised snapshot needs the vision model " + missing),
      std::string::npos)
      << check.readStdout() << check.readStderr();
  ChildProcess gatewayd(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "policy.yaml").string(), "--broker",
        broker_.url(), "--state-dir", (dir_ / "state").string()},
       env,
       dir_ / "gatewayd.out",
       dir_ / "gatewayd.err"});
  auto status = gatewayd.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*status), 1);
  EXPECT_NE(gatewayd.readStderr().find(missing), std::string::npos) << gatewayd.readStderr();
}

TEST_F(PrivacyE2eTest, RegisterExportWritesMarkdownAndJsonFromThePolicy) {
  ChildProcess exporter(
      {{gw::testing::appBinary("gatewayctl"), "register", "export", (dir_ / "register").string(),
        "--policy", (dir_ / "policy.yaml").string()},
       {},
       dir_ / "register.out",
       dir_ / "register.err"});
  ASSERT_EQ(exporter.wait(std::chrono::seconds(20)).value_or(-1), 0) << exporter.readStderr();
  const json entry = json::parse(gw::testing::readWholeFile(dir_ / "register.json"));
  EXPECT_EQ(entry["contact"], "privacy@gemeente.example");
  EXPECT_EQ(entry["sensors"].size(), 2u);
  const std::string md = gw::testing::readWholeFile(dir_ / "register.md");
  EXPECT_NE(md.find("art. 151c Gemeentewet"), std::string::npos) << md;
  EXPECT_NE(md.find("open data, published unencrypted on lantaarn/v1/e2e-site/public/open-data"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 28d |"), std::string::npos) << md;
}

}  // namespace
}  // namespace gw
