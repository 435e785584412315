// The sealing sink at the end of the routed path: what it appends to the outbox, on which topic,
// sealed for whom, with which expiry, and when it tells the publisher. The actor's real receiver
// opens what it sealed.
#include "gateway/crypto/sealing_sink.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "gateway/actor/envelope_receiver.h"
#include "gateway/core/clock.h"
#include "tests/support/pipeline_fakes.h"
#include "tests/support/route_table.h"

namespace gw::crypto {
namespace {

using pipeline::DataKind;
using pipeline::Priority;

class SealingSinkTest : public ::testing::Test {
 protected:
  SealingSinkTest() {
    EXPECT_EQ(sodium_init() >= 0, true);
    gateway::v1::Policy policy;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(site { id: "site" }
             routes {
               id: "alarms"
               to: "fire"
               purpose: "p"
               from { detectors: "flood" }
             }
             routes {
               id: "air"
               to: "fire"
               purpose: "p"
               from { measurements: "pm10" }
               ttl: "15m"
             }
             routes {
               id: "open"
               to: "public"
               purpose: "p"
               from { measurements: "pm10" }
               aggregate { interval: "1h" }
               open_data: true
             }
             routes {
               id: "stranger"
               to: "nobody"
               purpose: "p"
               from { detectors: "flood" }
             })pb",
        &policy));
    routes_ = testing::routeTable(policy);
    auto sealer = GatewaySealer::open(identity_, "site", {});
    EXPECT_TRUE(sealer.ok()) << sealer.status().toString();
    sink_ = std::make_unique<SealingSink>(std::move(sealer).value(), "site", outbox_, drain_,
                                          counters_, io_.get_executor());
    sink_->setActors({{"fire", publicHalf(fire_)}, {"public", publicHalf(public_)}});
  }

  const pipeline::Route& route(const std::string& id) {
    for (const auto& r : routes_->routes) {
      if (r.id() == id) return r;
    }
    throw std::runtime_error("no route " + id);
  }

  void deliver(const std::string& route_id, DataKind kind, Priority priority,
               gateway::v1::ActorMessage message) {
    // The header the router writes, which the actor checks against the envelope's.
    message.set_site_id("site");
    message.set_actor_id(route(route_id).actor());
    message.set_route_id(route_id);
    std::vector<pipeline::RoutedMessage> batch{
        {&route(route_id), kind, priority, std::move(message), nullptr}};
    sink_->deliver(batch);
  }

  // What `key`'s holder reads from everything appended for its actor.
  std::vector<actor::Received> openAs(const SecretKey& key) {
    actor::EnvelopeReceiver receiver({"site", key.actor, key, {identityPublicHalf(identity_)}});
    std::vector<actor::Received> out;
    for (const auto& m : outbox_.appended) {
      if (m.actor_id == key.actor) out.push_back(receiver.receive(m.payload, nowUnixMs()));
    }
    return out;
  }

  boost::asio::io_context io_;
  Counters counters_;
  testing::RecordingOutbox outbox_;
  testing::CountingDrain drain_;
  IdentityKey identity_ = generateIdentityKey("site");
  SecretKey fire_ = generateKeyPair("fire");
  SecretKey public_ = generateKeyPair("public");
  pipeline::RouteTablePtr routes_;
  std::unique_ptr<SealingSink> sink_;
};

TEST_F(SealingSinkTest, AnAlarmIsSealedForItsActorAloneOnTheEventTopicAndPumpedAtOnce) {
  gateway::v1::ActorMessage alarm;
  alarm.mutable_event()->set_kind("flood_alarm");
  deliver("alarms", DataKind::kEvent, Priority::kAlarm, alarm);

  ASSERT_EQ(outbox_.appended.size(), 2u);  // the epoch's KEY, then the DATA
  EXPECT_EQ(outbox_.appended[0].topic, "lantaarn/v1/site/fire/key");
  EXPECT_EQ(outbox_.appended[0].priority, Priority::kAlarm);
  EXPECT_EQ(outbox_.appended[1].topic, "lantaarn/v1/site/fire/event");
  EXPECT_EQ(outbox_.appended[1].payload.find("flood_alarm"), std::string::npos)
      << "plaintext in the outbox";
  EXPECT_EQ(drain_.pumps, 1);
  EXPECT_EQ(drain_.pumps_soon, 0);

  const auto opened = openAs(fire_);
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_EQ(opened[0].verdict, actor::Verdict::kKey);
  ASSERT_EQ(opened[1].verdict, actor::Verdict::kMessage) << opened[1].reason;
  EXPECT_EQ(opened[1].message.event().kind(), "flood_alarm");
  // Another actor, even with every payload, opens nothing.
  actor::EnvelopeReceiver other({"site", "fire", public_, {identityPublicHalf(identity_)}});
  for (const auto& m : outbox_.appended) {
    EXPECT_EQ(other.receive(m.payload, nowUnixMs()).verdict, actor::Verdict::kRejected);
  }
  EXPECT_EQ(
      counters_.value(counterKey("envelopes_sealed_total", {{"actor", "fire"}, {"kind", "event"}})),
      1u);
}

TEST_F(SealingSinkTest, MeasurementsArePumpedSoonAndExpireWithTheirRoutesTtl) {
  gateway::v1::ActorMessage reading;
  reading.set_produced_unix_ms(1'780'000'000'000);
  reading.mutable_measurement()->set_value(7);
  deliver("air", DataKind::kMeasurement, Priority::kMeasurement, reading);
  ASSERT_EQ(outbox_.appended.size(), 2u);
  EXPECT_EQ(outbox_.appended[0].expires_unix_ms, 0) << "a KEY never expires";
  EXPECT_EQ(outbox_.appended[1].topic, "lantaarn/v1/site/fire/measurement");
  EXPECT_EQ(outbox_.appended[1].expires_unix_ms, 1'780'000'000'000 + 15 * 60 * 1000);
  EXPECT_EQ(drain_.pumps, 0);
  EXPECT_EQ(drain_.pumps_soon, 1);
}

TEST_F(SealingSinkTest, OpenDataGoesOutAsPlainJsonOnThePublicTopic) {
  gateway::v1::ActorMessage aggregate;
  aggregate.mutable_aggregate()->add_rows()->set_count(3);
  deliver("open", DataKind::kOpenData, Priority::kMeasurement, aggregate);
  ASSERT_EQ(outbox_.appended.size(), 1u) << "no epoch KEY: nothing is sealed";
  EXPECT_EQ(outbox_.appended[0].topic, "lantaarn/v1/site/public/open-data");
  const auto json = nlohmann::json::parse(outbox_.appended[0].payload);
  EXPECT_EQ(json["route_id"], "open");
  EXPECT_EQ(json["aggregate"]["rows"][0]["count"], "3");
  EXPECT_EQ(counters_.value(counterKey("open_data_published_total", {{"route", "open"}})), 1u);
}

TEST_F(SealingSinkTest, AnActorWithoutAKeyGetsNothingAndItIsCounted) {
  gateway::v1::ActorMessage alarm;
  alarm.mutable_event()->set_kind("flood_alarm");
  deliver("stranger", DataKind::kEvent, Priority::kAlarm, alarm);
  EXPECT_TRUE(outbox_.appended.empty());
  EXPECT_EQ(counters_.value(counterKey("seal_failed_total", {{"actor", "nobody"}})), 1u);
}

TEST_F(SealingSinkTest, FlushSealsAFinalCheckpointThatTheActorVerifies) {
  gateway::v1::ActorMessage alarm;
  alarm.mutable_event()->set_kind("flood_alarm");
  deliver("alarms", DataKind::kEvent, Priority::kAlarm, alarm);
  sink_->flush();
  ASSERT_EQ(outbox_.appended.size(), 3u);
  EXPECT_EQ(outbox_.appended[2].topic, "lantaarn/v1/site/fire/checkpoint");
  EXPECT_EQ(drain_.pumps, 2);
  const auto opened = openAs(fire_);
  ASSERT_EQ(opened.back().verdict, actor::Verdict::kCheckpoint);
  ASSERT_EQ(opened.back().reports.size(), 1u);
  EXPECT_EQ(opened.back().reports[0].type, actor::Report::Type::kCheckpointVerified);
}

// A reload that changes an actor's key (issue 23): the new epoch begins during the reload, not
// with the actor's next message, and the old epoch is closed for the old key first.
TEST_F(SealingSinkTest, AChangedKeyClosesTheOldEpochAndPublishesTheNewKeyAtOnce) {
  gateway::v1::ActorMessage alarm;
  alarm.mutable_event()->set_kind("flood_alarm");
  deliver("alarms", DataKind::kEvent, Priority::kAlarm, alarm);
  ASSERT_EQ(outbox_.appended.size(), 2u);  // KEY (to the old key), DATA
  const int pumps = drain_.pumps;

  const SecretKey rotated = generateKeyPair("fire");
  sink_->setActors({{"fire", publicHalf(rotated)}, {"public", publicHalf(public_)}});
  ASSERT_EQ(outbox_.appended.size(), 4u);
  EXPECT_EQ(outbox_.appended[2].topic, "lantaarn/v1/site/fire/checkpoint");
  EXPECT_EQ(outbox_.appended[3].topic, "lantaarn/v1/site/fire/key");
  EXPECT_EQ(drain_.pumps, pumps + 1);
  auto checkpoint = parseEnvelope(outbox_.appended[2].payload);
  auto key = parseEnvelope(outbox_.appended[3].payload);
  ASSERT_TRUE(checkpoint.ok() && key.ok());
  EXPECT_EQ(checkpoint->header.recipient_key_id(), fire_.key_id);
  EXPECT_EQ(key->header.recipient_key_id(), rotated.key_id);
  EXPECT_EQ(key->header.epoch_start(), gateway::v1::EPOCH_START_KEY_CHANGED);
  EXPECT_EQ(key->header.previous_sequence(), checkpoint->header.sequence());

  // The same policy again changes nothing: no epoch for an unchanged key.
  sink_->setActors({{"fire", publicHalf(rotated)}, {"public", publicHalf(public_)}});
  EXPECT_EQ(outbox_.appended.size(), 4u);
  deliver("alarms", DataKind::kEvent, Priority::kAlarm, alarm);
  ASSERT_EQ(outbox_.appended.size(), 5u);  // only the DATA: its epoch already began

  // The old key proves its epoch complete and reads nothing after it.
  const auto old = openAs(fire_);
  ASSERT_EQ(old[2].verdict, actor::Verdict::kCheckpoint);
  ASSERT_EQ(old[2].reports.size(), 1u);
  EXPECT_EQ(old[2].reports[0].type, actor::Report::Type::kCheckpointVerified);
  EXPECT_EQ(old[3].reason.rfind("wrong_recipient", 0), 0u) << old[3].reason;
  EXPECT_EQ(old[4].reason.rfind("wrong_recipient", 0), 0u) << old[4].reason;
}

}  // namespace
}  // namespace gw::crypto
