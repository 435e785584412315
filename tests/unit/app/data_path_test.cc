// The wired data path, in process: a policy from YAML, every real stage between a reading and the
// outbox (detectors, router, privacy, batching, sealing), a recording outbox at the end and the
// actors' real receivers opening what arrives. No broker, no sockets.
#include "gateway/app/data_path.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/asio/io_context.hpp>
#include <fstream>

#include "gateway/actor/envelope_receiver.h"
#include "gateway/config/policy_loader.h"
#include "gateway/core/clock.h"
#include "tests/support/pipeline_fakes.h"
#include "tests/support/temp_dir.h"

namespace gw::app {
namespace {

using testing::TempDir;

constexpr const char* kPolicy = R"(site: {id: plein}
gateway: {identity_key_file: keys/gateway.key}
actors:
  - {id: municipality, public_key_file: keys/municipality.pub, purposes: [air, maintenance]}
  - {id: fire, public_key_file: keys/fire.pub, purposes: [rescue]}
sources:
  - {id: pm, sensor: {format: json_reading, udp: {port: 7001}}}
detectors:
  - {id: pm10-limit, sources: [pm], threshold: {quantity: pm10, above: 50, severity: alarm}}
routes:
  - {id: air, to: municipality, purpose: air, from: {measurements: [pm10]}, fields: [quantity, value]}
  - {id: cameras, to: municipality, purpose: maintenance, from: {health: [camera_offline]}}
  - {id: alarms, to: fire, purpose: rescue, from: {detectors: [pm10-limit]}}
)";

gateway::v1::Reading pm10(double value) {
  gateway::v1::Reading r;
  r.set_source_id("pm");
  r.set_quantity("pm10");
  r.set_unit("ug/m3");
  r.set_value(value);
  r.set_observed_unix_ms(nowUnixMs());
  return r;
}

class DataPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    for (const char* actor : {"municipality", "fire"}) {
      keys_.emplace(actor, crypto::generateKeyPair(actor));
      ASSERT_TRUE(crypto::writeKeyPair(keys_.at(actor), dir_ / "keys").ok());
    }
    ASSERT_TRUE(crypto::writeIdentityKeyPair(identity_, dir_ / "keys", "gateway").ok());
    policy_ = load(kPolicy);
  }

  config::ResolvedPolicyPtr load(const std::string& text) {
    std::ofstream(dir_ / "policy.yaml") << text;
    auto loaded = config::loadPolicy(dir_ / "policy.yaml");
    EXPECT_TRUE(loaded.ok()) << config::formatErrors(loaded.errors);
    return loaded.policy;
  }

  std::unique_ptr<DataPath> build(DataPathOptions options) {
    auto path = DataPath::create(policy_, io_.get_executor(), outbox_, drain_, counters_,
                                 histograms_, options);
    EXPECT_TRUE(path.ok()) << path.status().toString();
    return std::move(path).value();
  }

  // What `actor` opens of everything appended for it: its messages, by topic kind.
  std::vector<std::pair<std::string, gateway::v1::ActorMessage>> openAs(const std::string& actor) {
    actor::EnvelopeReceiver receiver(
        {"plein", actor, keys_.at(actor), {crypto::identityPublicHalf(identity_)}});
    std::vector<std::pair<std::string, gateway::v1::ActorMessage>> out;
    for (const auto& m : outbox_.appended) {
      if (m.actor_id != actor || m.topic.empty()) continue;
      auto r = receiver.receive(m.payload, nowUnixMs());
      EXPECT_NE(r.verdict, actor::Verdict::kRejected) << m.topic << ": " << r.reason;
      if (r.verdict == actor::Verdict::kMessage) {
        out.emplace_back(m.topic.substr(m.topic.rfind('/') + 1), r.message);
      }
    }
    return out;
  }

  TempDir dir_;
  std::map<std::string, crypto::SecretKey> keys_;
  crypto::IdentityKey identity_ = crypto::generateIdentityKey("plein");
  config::ResolvedPolicyPtr policy_;
  boost::asio::io_context io_;
  Counters counters_;
  Histograms histograms_;
  testing::RecordingOutbox outbox_;
  testing::CountingDrain drain_;
};

// A reading from a source without a position raises an event at the site's location.
TEST_F(DataPathTest, AnEventWithoutALocationHasTheSites) {
  std::string text = kPolicy;
  const std::string site = "site: {id: plein}";
  text.replace(text.find(site), site.size(),
               "site: {id: plein, location: {lat: 52.08, lon: 4.31}}");
  policy_ = load(text);
  auto path = build({(dir_ / "state").string(), {}});
  ASSERT_TRUE(path->accept(pm10(80)).ok());
  auto placed = pm10(20);  // clears, from a reading that has a position of its own
  placed.mutable_location()->set_lat(52.1);
  placed.mutable_location()->set_lon(4.3);
  ASSERT_TRUE(path->accept(placed).ok());
  const auto fire = openAs("fire");
  ASSERT_EQ(fire.size(), 2u);
  EXPECT_EQ(fire[0].second.event().location().lat(), 52.08);
  EXPECT_EQ(fire[0].second.event().location().lon(), 4.31);
  EXPECT_EQ(fire[1].second.event().location().lat(), 52.1);
  EXPECT_EQ(fire[1].second.event().location().lon(), 4.3);
}

TEST_F(DataPathTest, AReadingAndTheEventItRaisesReachEachActorMinimisedAndSealed) {
  auto path = build({(dir_ / "state").string(), {}});
  ASSERT_TRUE(path->accept(pm10(80)).ok());
  gateway::v1::Event offline;
  offline.set_detector_id("health");
  offline.set_kind("camera_offline");
  offline.set_source_id("cam");
  path->emit(offline);

  const auto municipality = openAs("municipality");
  ASSERT_EQ(municipality.size(), 2u);
  EXPECT_EQ(municipality[0].first, "measurement");
  EXPECT_EQ(municipality[0].second.measurement().value(), 80);
  EXPECT_TRUE(municipality[0].second.measurement().unit().empty()) << "minimised to its fields";
  EXPECT_EQ(municipality[1].first, "event");
  EXPECT_EQ(municipality[1].second.event().kind(), "camera_offline");
  const auto fire = openAs("fire");
  ASSERT_EQ(fire.size(), 1u);
  EXPECT_EQ(fire[0].first, "event");
  EXPECT_EQ(fire[0].second.event().kind(), "threshold_exceeded");
  EXPECT_EQ(fire[0].second.route_id(), "alarms");
  // The alarm was pumped at once; the events were kept on the box for their retention.
  EXPECT_GE(drain_.pumps, 1);
  EXPECT_EQ(counters_.value(counterKey("retention_kept_total", {{"route", "alarms"}})), 1u);
  EXPECT_EQ(counters_.value(counterKey("readings_in_total", {{"source", "pm"}})), 1u);
}

TEST_F(DataPathTest, ADryRunRecordsWhatWouldBeSealedAndSealsNothing) {
  std::vector<std::string> recorded;
  auto path = build(
      {"", [&](const std::string& actor, std::string_view kind, const gateway::v1::ActorMessage&) {
         recorded.push_back(actor + " " + std::string(kind));
       }});
  ASSERT_TRUE(path->accept(pm10(80)).ok());
  EXPECT_EQ(recorded, (std::vector<std::string>{"fire event", "municipality measurement"}));
  EXPECT_TRUE(outbox_.appended.empty());
}

TEST_F(DataPathTest, AFullOutboxPushesTheReadingBackAndStoppingRefusesIt) {
  testing::RecordingOutbox small(nullptr, /*capacity=*/2);
  auto path = DataPath::create(policy_, io_.get_executor(), small, drain_, counters_, histograms_,
                               {"", {}});
  ASSERT_TRUE(path.ok()) << path.status().toString();
  EXPECT_EQ((*path)->accept(pm10(10)).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(small.appended.empty()) << "nothing of a refused reading may go out";
  auto roomy = build({"", {}});
  roomy->stop();
  EXPECT_EQ(roomy->accept(pm10(10)).code(), StatusCode::kUnavailable);
}

TEST_F(DataPathTest, AReloadThatRemovesAnActorEndsItsStreamAndDropsWhatWasQueued) {
  auto path = build({"", {}});
  ASSERT_TRUE(path->accept(pm10(80)).ok());
  ASSERT_FALSE(openAs("fire").empty());
  std::string without_fire = kPolicy;
  without_fire.replace(without_fire.find("  - {id: fire,"), std::string::npos, "");
  without_fire +=
      "routes:\n  - {id: air, to: municipality, purpose: air, from: {measurements: "
      "[pm10]}}\n";
  auto reloaded = load(without_fire);
  ASSERT_NE(reloaded, nullptr);
  ASSERT_TRUE(path->reload(reloaded).ok());
  EXPECT_EQ(outbox_.dropped_for["fire"], 1);
  const size_t before = outbox_.appended.size();
  ASSERT_TRUE(path->accept(pm10(90)).ok());
  for (size_t i = before; i < outbox_.appended.size(); ++i) {
    EXPECT_EQ(outbox_.appended[i].actor_id, "municipality");
  }
  EXPECT_GT(outbox_.appended.size(), before);
}

// A detector the host disables (a real plugin, over its budget on every call) reaches the actor
// whose route names the health event: the route an operator writes for docs/PLUGINS.md's advice.
TEST_F(DataPathTest, ADetectorDisabledForItsTimeBudgetReachesTheRouteForThatHealthEvent) {
  policy_ = load(std::string(R"(site: {id: plein}
gateway: {identity_key_file: keys/gateway.key}
actors:
  - {id: municipality, public_key_file: keys/municipality.pub, purposes: [maintenance]}
sources:
  - {id: pm, sensor: {format: json_reading, udp: {port: 7001}}}
detectors:
  - id: slow
    sources: [pm]
    plugin: {path: )") +
                 GW_SLOW_PLUGIN + R"(, params: {sleep_ms: "5", budget_ms: "1", overrun_limit: "1"}}
routes:
  - {id: detectors, to: municipality, purpose: maintenance, from: {health: [detector_disabled]}}
)");
  ASSERT_NE(policy_, nullptr);
  auto path = build({(dir_ / "state").string(), {}});
  ASSERT_TRUE(path->accept(pm10(80)).ok());  // 5 ms against a 1 ms budget: disabled at once
  ASSERT_TRUE(path->accept(pm10(81)).ok());  // skipped: no second event

  const auto municipality = openAs("municipality");
  ASSERT_EQ(municipality.size(), 1u);
  EXPECT_EQ(municipality[0].first, "event");
  EXPECT_EQ(municipality[0].second.route_id(), "detectors");
  const auto& event = municipality[0].second.event();
  EXPECT_EQ(event.kind(), "detector_disabled");
  EXPECT_EQ(event.detector_id(), "health");
  EXPECT_EQ(event.source_id(), "pm");
  EXPECT_EQ(event.severity(), gateway::v1::SEVERITY_WARNING);
  EXPECT_NE(event.summary().find("detector slow (slow) disabled for 30 s"), std::string::npos)
      << event.summary();
  EXPECT_EQ(counters_.value(counterKey("detector_skipped_total",
                                       {{"detector", "slow"}, {"reason", "disabled"}})),
            1u);
}

}  // namespace
}  // namespace gw::app
