// The PostgreSQL sink against a real PostgreSQL from Debian, started for the test (one cluster
// for the suite, each test in tables of its own prefix): rows with the right values in the right
// tables, the same message twice inserted once, a server that goes down retried and delivered
// once it is back, an impossible row refused for good. Skips only when the server binaries are
// not installed.
#include <gtest/gtest.h>

#include <limits>
#include <memory>

#include "gateway/actor_service/sinks/postgres_sink.h"
#include "tests/support/postgres_server.h"

namespace gw::actor_service {
namespace {

using testing::PostgresServer;
using Result = DeliveryOutcome::Result;

class PostgresSinkTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (!PostgresServer::binDir()) {
      GTEST_SKIP() << "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
                      "(apt install postgresql)";
    }
  }

  // Started by the first case that needs it and shared by the rest (initdb costs seconds).
  static PostgresServer& server() {
    if (!server_) server_ = std::make_unique<PostgresServer>();
    return *server_;
  }
  static PostgresSinkOptions options(const std::string& prefix) {
    return {server().conninfo(), server().password(), prefix};
  }
  static std::string query(const std::string& sql) { return server().query(sql); }

  static std::unique_ptr<PostgresServer> server_;
};

std::unique_ptr<PostgresServer> PostgresSinkTest::server_;

gateway::v1::SpooledMessage spooled(uint64_t sequence, gateway::v1::ActorMessage body) {
  gateway::v1::SpooledMessage m;
  m.set_gateway_key_id("gk1");
  m.set_epoch(7);
  m.set_sequence(sequence);
  m.set_topic("lantaarn/v1/og12/municipality/data");
  m.set_sent_unix_ms(1550018465000);
  m.set_received_unix_ms(1550018466000);
  body.set_site_id("og12");
  body.set_actor_id("municipality");
  body.set_route_id("municipality-air");
  body.set_purpose("air_quality");
  body.set_produced_unix_ms(1550018464500);
  *m.mutable_message() = std::move(body);
  return m;
}

gateway::v1::Reading reading(double value, int64_t observed_unix_ms, bool located = true) {
  gateway::v1::Reading r;
  r.set_source_id("pm-5331");
  r.set_quantity("pm10");
  r.set_unit("ug/m3");
  r.set_value(value);
  r.set_observed_unix_ms(observed_unix_ms);
  if (located) {
    r.mutable_location()->set_lat(57.1497);
    r.mutable_location()->set_lon(-2.0943);
  }
  return r;
}

gateway::v1::SpooledMessage readingMessage(uint64_t sequence, double value) {
  gateway::v1::ActorMessage body;
  *body.mutable_measurement() = reading(value, 1550018464123);
  body.mutable_measurement()->set_quality_flags(1);
  body.mutable_measurement()->set_sensor_ref("5331");
  return spooled(sequence, std::move(body));
}

gateway::v1::SpooledMessage batchMessage(uint64_t sequence) {
  gateway::v1::ActorMessage body;
  auto* batch = body.mutable_measurement_batch();
  *batch->add_readings() = reading(1.5, 1550018400000);
  *batch->add_readings() = reading(2.5, 1550018460000, false);
  *batch->add_readings() = reading(3.5, 1550018520000);
  return spooled(sequence, std::move(body));
}

gateway::v1::SpooledMessage eventMessage(uint64_t sequence) {
  gateway::v1::ActorMessage body;
  auto* e = body.mutable_event();
  e->set_detector_id("pm10-daily-limit");
  e->set_kind("threshold_exceeded");
  e->set_severity(gateway::v1::SEVERITY_WARNING);
  e->set_source_id("pm-5331");
  e->set_quantity("pm10");
  e->set_value(176.2);
  e->set_threshold(50);
  e->set_unit("ug/m3");
  e->set_summary("pm10 at 176.2 ug/m3, above the limit of 50.0; 'quoted' \"text\"");
  e->set_confidence(0.9);
  e->set_observed_unix_ms(1550018464000);
  e->mutable_location()->set_lat(50.8514);
  e->mutable_location()->set_lon(5.6910);
  return spooled(sequence, std::move(body));
}

gateway::v1::SpooledMessage aggregateMessage(uint64_t sequence) {
  gateway::v1::ActorMessage body;
  auto* a = body.mutable_aggregate();
  a->set_interval_start_unix_ms(1550016000000);
  a->set_interval_end_unix_ms(1550019600000);
  auto* measured = a->add_rows();
  measured->set_source_id("pm-5331");
  measured->set_quantity("pm10");
  measured->set_unit("ug/m3");
  measured->set_count(60);
  measured->set_mean(42.5);
  measured->set_min(10.25);
  measured->set_max(176.23);
  measured->mutable_location()->set_lat(57.15);
  measured->mutable_location()->set_lon(-2.09);
  auto* counted = a->add_rows();
  counted->set_detector_id("fall");
  counted->set_kind("fall");
  counted->set_count(2);
  return spooled(sequence, std::move(body));
}

TEST_F(PostgresSinkTest, ReadingsBatchesAggregatesAndEventsLandInTheirTablesWithTheirValues) {
  PostgresSink sink(options("t1_"));
  for (const auto& m :
       {readingMessage(1, 176.23), batchMessage(2), eventMessage(3), aggregateMessage(4)}) {
    const DeliveryOutcome outcome = sink.deliver(m);
    ASSERT_EQ(outcome.result, Result::kDelivered) << outcome.detail;
  }
  EXPECT_FALSE(sink.usesPostgis());  // Debian's postgresql alone has no PostGIS

  EXPECT_EQ(query("SELECT count(*) FROM t1_measurements"), "4");
  EXPECT_EQ(query("SELECT concat_ws('|', gateway_key_id, epoch, sequence, site_id, actor_id, "
                  "route_id, purpose, source_id, quantity, unit, value, quality_flags, sensor_ref, "
                  "(extract(epoch FROM observed_at) * 1000)::bigint, "
                  "(extract(epoch FROM produced_at) * 1000)::bigint, "
                  "(extract(epoch FROM received_at) * 1000)::bigint, lat, lon) "
                  "FROM t1_measurements WHERE idempotency_key = 'gk1-municipality-1' "
                  "AND row_index = 0"),
            "gk1|7|1|og12|municipality|municipality-air|air_quality|pm-5331|pm10|ug/m3|176.23|1|"
            "5331|1550018464123|1550018464500|1550018466000|57.1497|-2.0943");

  // A batch: one row per reading, in order, under the message's key and the row's index.
  EXPECT_EQ(query("SELECT string_agg(row_index || ':' || value || ':' || "
                  "(extract(epoch FROM observed_at))::bigint || ':' || coalesce(lat::text, '-'), "
                  "',' ORDER BY row_index) FROM t1_measurements "
                  "WHERE idempotency_key = 'gk1-municipality-2'"),
            "0:1.5:1550018400:57.1497,1:2.5:1550018460:-,2:3.5:1550018520:57.1497");
  // What the route minimised away (no sensor_ref) is NULL, not ''.
  EXPECT_EQ(query("SELECT count(*) FROM t1_measurements WHERE sensor_ref IS NULL"), "3");

  EXPECT_EQ(query("SELECT concat_ws('|', idempotency_key, detector_id, kind, severity, source_id, "
                  "quantity, value, threshold, unit, summary, confidence, "
                  "(extract(epoch FROM observed_at) * 1000)::bigint, site_id, route_id, purpose, "
                  "lat, lon) FROM t1_events"),
            "gk1-municipality-3|pm10-daily-limit|threshold_exceeded|warning|pm-5331|pm10|176.2|50|"
            "ug/m3|pm10 at 176.2 ug/m3, above the limit of 50.0; 'quoted' \"text\"|0.9|"
            "1550018464000|og12|municipality-air|air_quality|50.8514|5.691");

  EXPECT_EQ(query("SELECT string_agg(concat_ws('|', row_index, (extract(epoch FROM "
                  "interval_start))::bigint, (extract(epoch FROM interval_end))::bigint, "
                  "source_id, quantity, detector_id, kind, unit, count, mean, min, max, lat, lon), "
                  "',' ORDER BY row_index) FROM t1_aggregates"),
            "0|1550016000|1550019600|pm-5331|pm10|ug/m3|60|42.5|10.25|176.23|57.15|-2.09,"
            "1|1550016000|1550019600|fall|fall|2");
  EXPECT_EQ(query("SELECT data_type FROM information_schema.columns WHERE table_name = "
                  "'t1_events' AND column_name = 'observed_at'"),
            "timestamp with time zone");
}

TEST_F(PostgresSinkTest, DeliveringTheSameMessageAgainInsertsItOnce) {
  {
    PostgresSink sink(options("t2_"));
    for (int round = 0; round < 2; ++round) {
      for (const auto& m : {batchMessage(10), eventMessage(11), aggregateMessage(12)}) {
        const DeliveryOutcome outcome = sink.deliver(m);
        ASSERT_EQ(outcome.result, Result::kDelivered) << outcome.detail;
      }
    }
  }
  // And again after a restart of the service (a new connection, the tables already there).
  PostgresSink restarted(options("t2_"));
  ASSERT_EQ(restarted.deliver(batchMessage(10)).result, Result::kDelivered);
  ASSERT_EQ(restarted.deliver(eventMessage(11)).result, Result::kDelivered);
  EXPECT_EQ(query("SELECT count(*) FROM t2_measurements"), "3");
  EXPECT_EQ(query("SELECT count(*) FROM t2_events"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM t2_aggregates"), "2");

  // The key is the message's: another sequence is another message.
  ASSERT_EQ(restarted.deliver(eventMessage(13)).result, Result::kDelivered);
  EXPECT_EQ(query("SELECT count(*) FROM t2_events"), "2");
}

TEST_F(PostgresSinkTest, AServerThatIsDownIsRetriedAndTheMessageDeliveredOnceItIsBack) {
  PostgresSink sink(options("t3_"));
  ASSERT_EQ(sink.deliver(readingMessage(20, 1)).result, Result::kDelivered);

  server().stop();
  const DeliveryOutcome cut = sink.deliver(readingMessage(21, 2));  // on the connection cut off
  EXPECT_EQ(cut.result, Result::kRetry) << cut.detail;
  EXPECT_FALSE(cut.detail.empty());
  const DeliveryOutcome refused = sink.deliver(readingMessage(21, 2));  // reconnecting
  EXPECT_EQ(refused.result, Result::kRetry) << refused.detail;
  EXPECT_NE(refused.detail.find("cannot connect"), std::string::npos) << refused.detail;
  PostgresSink started_while_down(options("t3_"));
  EXPECT_EQ(started_while_down.deliver(eventMessage(22)).result, Result::kRetry);

  server().start();
  const DeliveryOutcome back = sink.deliver(readingMessage(21, 2));
  EXPECT_EQ(back.result, Result::kDelivered) << back.detail;
  EXPECT_EQ(started_while_down.deliver(eventMessage(22)).result, Result::kDelivered);
  EXPECT_EQ(query("SELECT string_agg(sequence || ':' || value, ',' ORDER BY sequence) "
                  "FROM t3_measurements"),
            "20:1,21:2");
  EXPECT_EQ(query("SELECT count(*) FROM t3_events"), "1");
}

TEST_F(PostgresSinkTest, AnImpossibleRowIsRefusedAndLeavesNothingOfItsMessage) {
  PostgresSink sink(options("t4_"));
  // A batch whose last reading has a time PostgreSQL cannot hold: the whole message is refused
  // (dead letter), and its first reading is not left behind.
  auto impossible = batchMessage(30);
  impossible.mutable_message()
      ->mutable_measurement_batch()
      ->mutable_readings(2)
      ->set_observed_unix_ms(std::numeric_limits<int64_t>::max());
  const DeliveryOutcome outcome = sink.deliver(impossible);
  EXPECT_EQ(outcome.result, Result::kRefused) << outcome.detail;
  EXPECT_NE(outcome.detail.find("22008"), std::string::npos) << outcome.detail;
  EXPECT_EQ(query("SELECT count(*) FROM t4_measurements"), "0");

  // Text that is not UTF-8 is refused too (22021), not retried forever.
  auto not_utf8 = eventMessage(31);
  not_utf8.mutable_message()->mutable_event()->set_summary("caf\xe9");
  const DeliveryOutcome encoding = sink.deliver(not_utf8);
  EXPECT_EQ(encoding.result, Result::kRefused) << encoding.detail;

  // A constraint of the actor's own that the row breaks: refused as well (class 23).
  query("ALTER TABLE t4_events ADD CONSTRAINT plausible CHECK (value < 1000)");
  auto implausible = eventMessage(33);
  implausible.mutable_message()->mutable_event()->set_value(5000);
  const DeliveryOutcome constraint = sink.deliver(implausible);
  EXPECT_EQ(constraint.result, Result::kRefused) << constraint.detail;
  EXPECT_NE(constraint.detail.find("23514"), std::string::npos) << constraint.detail;

  // The next message goes in on the same connection.
  const DeliveryOutcome next = sink.deliver(batchMessage(32));
  EXPECT_EQ(next.result, Result::kDelivered) << next.detail;
  EXPECT_EQ(query("SELECT count(*) FROM t4_measurements"), "3");
  EXPECT_EQ(query("SELECT count(*) FROM t4_events"), "0");
}

TEST_F(PostgresSinkTest, ATableDroppedUnderTheSinkIsMadeAgainOnTheNextAttempt) {
  PostgresSink sink(options("t6_"));
  ASSERT_EQ(sink.deliver(eventMessage(60)).result, Result::kDelivered);
  query("DROP TABLE t6_events");
  const DeliveryOutcome missing = sink.deliver(eventMessage(61));
  EXPECT_EQ(missing.result, Result::kRetry) << missing.detail;  // 42P01: for an operator, not data
  const DeliveryOutcome again = sink.deliver(eventMessage(61));
  EXPECT_EQ(again.result, Result::kDelivered) << again.detail;
  EXPECT_EQ(query("SELECT string_agg(sequence::text, ',') FROM t6_events"), "61");
}

TEST_F(PostgresSinkTest, AWrongPasswordIsRetriedNotRefused) {
  // An operator fixes the password file; the messages wait in the spool meanwhile.
  PostgresSinkOptions wrong = options("t5_");
  wrong.password = "not-the-password";
  const DeliveryOutcome outcome = PostgresSink(wrong).deliver(eventMessage(40));
  EXPECT_EQ(outcome.result, Result::kRetry) << outcome.detail;
  EXPECT_NE(outcome.detail.find("password authentication failed"), std::string::npos)
      << outcome.detail;
}

TEST_F(PostgresSinkTest, LocationsArePostgisPointsWherePostgisIsInstalled) {
  if (!PostgresServer::extensionInstalled("postgis")) {
    GTEST_SKIP() << "PostGIS is not installed (apt install postgresql-15-postgis-3); the lat/lon "
                    "layout is tested above";
  }
  query("CREATE DATABASE gis");
  // Tables made before PostGIS came keep their lat/lon, also for a sink connecting after it.
  PostgresSink before({server().conninfo("gis"), server().password(), "old_"});
  ASSERT_EQ(before.deliver(eventMessage(49)).result, Result::kDelivered);
  server().query("gis", "CREATE EXTENSION postgis");

  PostgresSink sink({server().conninfo("gis"), server().password(), "lantaarn_"});
  ASSERT_EQ(sink.deliver(eventMessage(50)).result, Result::kDelivered);
  ASSERT_EQ(sink.deliver(readingMessage(51, 3)).result, Result::kDelivered);
  ASSERT_EQ(sink.deliver(aggregateMessage(52)).result, Result::kDelivered);
  EXPECT_TRUE(sink.usesPostgis());
  EXPECT_EQ(server().query("gis",
                           "SELECT concat_ws('|', ST_SRID(location), ST_Y(location), "
                           "ST_X(location)) FROM lantaarn_events"),
            "4326|50.8514|5.691");
  EXPECT_EQ(server().query("gis", "SELECT ST_AsText(location) FROM lantaarn_measurements"),
            "POINT(-2.0943 57.1497)");
  EXPECT_EQ(server().query("gis",
                           "SELECT string_agg(coalesce(ST_AsText(location), '-'), ',' "
                           "ORDER BY row_index) FROM lantaarn_aggregates"),
            "POINT(-2.09 57.15),-");
  EXPECT_EQ(server().query("gis",
                           "SELECT udt_name FROM information_schema.columns WHERE "
                           "table_name = 'lantaarn_events' AND column_name = 'location'"),
            "geometry");

  PostgresSink old_again({server().conninfo("gis"), server().password(), "old_"});
  const DeliveryOutcome old_layout = old_again.deliver(eventMessage(53));
  ASSERT_EQ(old_layout.result, Result::kDelivered) << old_layout.detail;
  EXPECT_FALSE(old_again.usesPostgis());
  EXPECT_EQ(server().query("gis",
                           "SELECT string_agg(sequence || ':' || lat || ':' || lon, ',' "
                           "ORDER BY sequence) FROM old_events"),
            "49:50.8514:5.691,53:50.8514:5.691");

  // Migrated as docs/ACTORS.md section 7 says, the table gets PostGIS points from then on.
  server().query("gis",
                 "ALTER TABLE old_events ADD location geometry(Point,4326); "
                 "UPDATE old_events SET location = ST_SetSRID(ST_MakePoint(lon, lat), 4326); "
                 "ALTER TABLE old_events DROP lat, DROP lon");
  // A sink still running with the old layout fails once (the dropped columns), reconnects and
  // reads the new one; a sink started now uses it at once.
  EXPECT_EQ(old_again.deliver(eventMessage(54)).result, Result::kRetry);
  const DeliveryOutcome relearnt = old_again.deliver(eventMessage(54));
  ASSERT_EQ(relearnt.result, Result::kDelivered) << relearnt.detail;
  EXPECT_TRUE(old_again.usesPostgis());
  PostgresSink migrated({server().conninfo("gis"), server().password(), "old_"});
  ASSERT_EQ(migrated.deliver(eventMessage(55)).result, Result::kDelivered);
  EXPECT_EQ(server().query("gis",
                           "SELECT string_agg(sequence || ':' || ST_AsText(location), ',' "
                           "ORDER BY sequence) FROM old_events"),
            "49:POINT(5.691 50.8514),53:POINT(5.691 50.8514),54:POINT(5.691 50.8514),"
            "55:POINT(5.691 50.8514)");
}

}  // namespace
}  // namespace gw::actor_service
