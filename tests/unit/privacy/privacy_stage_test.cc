// The privacy stage between the router and the batcher, with the real router making its input
// and recording fakes (tests/support/pipeline_fakes.h) behind it.
#include "gateway/privacy/privacy_stage.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>

#include "gateway/privacy/raw_snapshot_audit.h"
#include "gateway/router/router.h"
#include "tests/support/pipeline_fakes.h"
#include "tests/support/route_table.h"
#include "tests/support/temp_dir.h"

namespace gw::privacy {
namespace {

using pipeline::DataKind;
using testing::CallLog;
using testing::RecordingRetention;
using testing::RecordingSink;

gateway::v1::Policy policyOf(const std::string& routes) {
  gateway::v1::Policy p;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString("site { id: \"s\" } " + routes, &p));
  return p;
}

gateway::v1::Reading pm10(double value, int64_t observed_ms = 1'780'000'000'000) {
  gateway::v1::Reading r;
  r.set_source_id("pm");
  r.set_quantity("pm10");
  r.set_unit("ug/m3");
  r.set_value(value);
  r.set_observed_unix_ms(observed_ms);
  r.mutable_location()->set_lat(52.090712);
  r.mutable_location()->set_lon(5.121433);
  r.set_sensor_ref("sds-5331");
  return r;
}

gateway::v1::Event fall() {
  gateway::v1::Event e;
  e.set_detector_id("fall");
  e.set_kind("fall");
  e.set_severity(gateway::v1::SEVERITY_ALARM);
  e.set_source_id("cam");
  e.set_observed_unix_ms(1'780'000'000'000);
  return e;
}

// A raw snapshot route, with the legal basis it needs.
constexpr const char* kRawRoute = R"pb(routes {
                                         id: "police"
                                         to: "police"
                                         purpose: "p"
                                         from { detectors: "fall" }
                                         snapshot: SNAPSHOT_MODE_RAW
                                         legal_basis: "art. 151c Gemeentewet"
                                       })pb";

// What a frame worker hands over for an event on a small real-looking frame, without a snapshot.
pipeline::CameraEvidencePtr frameEvidence() {
  auto frame = std::make_shared<pipeline::Frame>();
  frame->camera_id = "cam";
  frame->image = cv::Mat(36, 64, CV_8UC3, cv::Scalar(10, 200, 30));
  auto evidence = std::make_shared<pipeline::CameraEvidence>();
  evidence->frame = frame;
  return evidence;
}

// The router feeding the stage under test; everything on one io_context that never runs (the
// stage's timer is not needed: the tests call flushAll()).
class PrivacyStageTest : public ::testing::Test {
 protected:
  void build(const std::string& routes, PrivacyStageOptions options = {}) {
    table_ = testing::routeTable(policyOf(routes));
    router_ = std::make_unique<router::Router>(table_, counters_);
    stage_ =
        std::make_unique<PrivacyStage>(io_.get_executor(), sink_, counters_, std::move(options));
  }
  void send(const gateway::v1::Reading& reading) {
    std::vector<pipeline::RoutedMessage> routed;
    router_->route(reading, &routed);
    stage_->deliver(routed);
  }
  void send(const gateway::v1::Event& event, pipeline::CameraEvidencePtr evidence = nullptr) {
    std::vector<pipeline::RoutedMessage> routed;
    router_->route(event, &routed, evidence);
    stage_->deliver(routed);
  }
  uint64_t counter(const std::string& name,
                   std::initializer_list<std::pair<const char*, std::string>> labels) {
    return counters_.value(counterKey(name, labels));
  }

  boost::asio::io_context io_;
  Counters counters_;
  CallLog log_;
  RecordingSink sink_{&log_};
  pipeline::RouteTablePtr table_;
  std::unique_ptr<router::Router> router_;
  std::unique_ptr<PrivacyStage> stage_;
};

TEST_F(PrivacyStageTest, OnlyTheRoutesFieldsLeaveAndLocationsAreCoarsened) {
  build(R"pb(routes {
               id: "open"
               to: "public"
               purpose: "p"
               from { measurements: "pm10" }
               fields: [ "quantity", "value", "location" ]
               coordinate_precision_m: 1000
             }
             routes {
               id: "full"
               to: "municipality"
               purpose: "p"
               from { measurements: "pm10" }
             })pb");
  send(pm10(42));
  ASSERT_EQ(sink_.delivered.size(), 2u);
  const auto& open = sink_.delivered[0].message.measurement();
  EXPECT_EQ(open.value(), 42);
  EXPECT_EQ(open.quantity(), "pm10");
  EXPECT_TRUE(open.unit().empty());
  EXPECT_TRUE(open.sensor_ref().empty());
  EXPECT_EQ(open.observed_unix_ms(), 0);
  // Snapped to a ~1 km grid: no longer the sensor's position, but within a cell of it.
  EXPECT_NE(open.location().lat(), 52.090712);
  EXPECT_NEAR(open.location().lat(), 52.090712, 0.01);
  const auto& full = sink_.delivered[1].message.measurement();
  EXPECT_EQ(full.sensor_ref(), "sds-5331");
  EXPECT_EQ(full.location().lat(), 52.090712);
}

TEST_F(PrivacyStageTest, AnAggregatedRouteSendsIntervalsNotData) {
  build(R"pb(routes {
               id: "hourly"
               to: "municipality"
               purpose: "p"
               from { measurements: "pm10" }
               aggregate { interval: "1h" }
             }
             routes {
               id: "open"
               to: "public"
               purpose: "p"
               from { measurements: "pm10" }
               aggregate { interval: "1h" }
               open_data: true
             })pb");
  for (double v : {10.0, 20.0, 30.0}) send(pm10(v));
  EXPECT_TRUE(sink_.delivered.empty()) << "single readings must not leave an aggregated route";
  stage_->flushAll();
  ASSERT_EQ(sink_.delivered.size(), 2u);
  const auto& hourly = sink_.delivered[0];
  EXPECT_EQ(hourly.kind, DataKind::kAggregate);
  EXPECT_EQ(hourly.route->id(), "hourly");
  ASSERT_EQ(hourly.message.aggregate().rows_size(), 1);
  EXPECT_EQ(hourly.message.aggregate().rows(0).count(), 3u);
  EXPECT_DOUBLE_EQ(hourly.message.aggregate().rows(0).mean(), 20);
  EXPECT_EQ(sink_.delivered[1].kind, DataKind::kOpenData);
  EXPECT_EQ(counter("aggregates_total", {{"route", "open"}}), 1u);
}

TEST_F(PrivacyStageTest, AnonymisedSnapshotsComeFromTheEvidenceAndAreCountedWhenMissing) {
  build(R"pb(routes {
               id: "amb"
               to: "ambulance"
               purpose: "p"
               from { detectors: "fall" }
               snapshot: SNAPSHOT_MODE_ANONYMISED
             })pb");
  auto made = std::make_shared<pipeline::CameraEvidence>();
  made->anonymised.emplace();
  made->anonymised->set_camera_id("cam");
  made->anonymised->set_image("jpeg bytes");
  send(fall(), made);
  ASSERT_EQ(sink_.delivered.size(), 1u);
  EXPECT_EQ(sink_.delivered[0].message.snapshot().image(), "jpeg bytes");
  EXPECT_EQ(counter("snapshots_sent_total", {{"route", "amb"}, {"form", "anonymised"}}), 1u);

  send(fall());  // a sensor's event: no evidence
  auto failed = std::make_shared<pipeline::CameraEvidence>();
  failed->anonymise_error = "no cascades";
  send(fall(), failed);
  // A worker started without an anonymiser (its snapshot route came with a reload).
  send(fall(), std::make_shared<pipeline::CameraEvidence>());
  ASSERT_EQ(sink_.delivered.size(), 4u);
  for (size_t i = 1; i < 4; ++i) EXPECT_FALSE(sink_.delivered[i].message.has_snapshot()) << i;
  EXPECT_EQ(counter("snapshots_missing_total", {{"route", "amb"}, {"reason", "needs_restart"}}),
            1u);
  EXPECT_EQ(
      counter("snapshots_missing_total", {{"route", "amb"}, {"reason", "not_a_camera_event"}}), 1u);
  EXPECT_EQ(
      counter("snapshots_missing_total", {{"route", "amb"}, {"reason", "anonymisation_failed"}}),
      1u);
}

TEST_F(PrivacyStageTest, ARawSnapshotLeavesOnlyAfterItsAuditLine) {
  testing::TempDir dir;
  const auto audit_file = dir / "audit.jsonl";
  PrivacyStageOptions options;
  options.raw_audit = std::make_unique<RawSnapshotAudit>(audit_file);
  build(kRawRoute, std::move(options));
  send(fall(), frameEvidence());
  ASSERT_EQ(sink_.delivered.size(), 1u);
  const auto& snapshot = sink_.delivered[0].message.snapshot();
  ASSERT_FALSE(snapshot.image().empty());
  std::ifstream in(audit_file);
  std::string line;
  ASSERT_TRUE(std::getline(in, line)) << "no audit line";
  EXPECT_NE(line.find(sha256Hex(snapshot.image())), std::string::npos) << line;
  EXPECT_NE(line.find("art. 151c Gemeentewet"), std::string::npos) << line;
}

TEST_F(PrivacyStageTest, ARawSnapshotWithoutAnAuditLogIsWithheld) {
  build(kRawRoute);
  send(fall(), frameEvidence());
  ASSERT_EQ(sink_.delivered.size(), 1u);
  EXPECT_FALSE(sink_.delivered[0].message.has_snapshot());
  EXPECT_EQ(counter("snapshots_missing_total", {{"route", "police"}, {"reason", "no_audit_log"}}),
            1u);
  EXPECT_FALSE(requireAuditLogForRawSnapshots(*table_, /*has_audit_log=*/false).ok());
  EXPECT_TRUE(requireAuditLogForRawSnapshots(*table_, /*has_audit_log=*/true).ok());
}

TEST_F(PrivacyStageTest, EventsAreKeptForTheirRetentionAfterTheyWereHandedOn) {
  RecordingRetention retention(&log_);
  PrivacyStageOptions options;
  options.retention = &retention;
  build(R"pb(routes {
               id: "amb"
               to: "ambulance"
               purpose: "p"
               from { detectors: "fall" }
               retention: "28d"
               fields: [ "kind" ]
             }
             routes {
               id: "air"
               to: "municipality"
               purpose: "p"
               from { measurements: "pm10" }
             })pb",
        std::move(options));
  send(fall());
  send(pm10(5));
  // The alarm is on its way before the retention store's fsync runs (decision 1020); readings
  // are not kept.
  EXPECT_EQ(log_, (CallLog{"deliver:amb", "retention:amb", "deliver:air"}));
  ASSERT_EQ(retention.kept.size(), 1u);
  EXPECT_EQ(retention.kept[0].retention_ms, 28LL * 24 * 3600 * 1000);
  gateway::v1::ActorMessage kept;
  ASSERT_TRUE(kept.ParseFromString(retention.kept[0].plaintext));
  EXPECT_EQ(kept.event().kind(), "fall");
  EXPECT_TRUE(kept.event().detector_id().empty()) << "kept as sent: minimised";
  EXPECT_EQ(counter("retention_kept_total", {{"route", "amb"}}), 1u);
  stage_->start();  // destroys what expired while the gateway was down
  EXPECT_EQ(retention.purges, 1);
  stage_->stop();
}

}  // namespace
}  // namespace gw::privacy
