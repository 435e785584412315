// The UDP, TCP, HTTP and MQTT sources on loopback (MQTT through a real Mosquitto), fed with real
// sensor data, malformed input of every kind, and a pipeline that pushes back.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "gateway/core/clock.h"
#include "gateway/core/files.h"
#include "gateway/sources/listeners/http_push_listener.h"
#include "gateway/sources/listeners/mqtt_subscription_source.h"
#include "gateway/sources/listeners/tcp_listener.h"
#include "gateway/sources/listeners/udp_listener.h"
#include "gateway/sources/sensor/formats/length_prefixed_readings.h"
#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/temp_dir.h"

namespace gw::sources {
namespace {

using boost::asio::ip::tcp;
using boost::asio::ip::udp;
using gw::testing::waitUntil;

// Thread-safe sink; refuses offers while `full` is set, as a saturated pipeline does.
class Sink : public pipeline::ReadingSink {
 public:
  Status accept(const gateway::v1::Reading& reading) override {
    if (full) {
      ++refused;
      return resourceExhausted("full");
    }
    std::lock_guard lock(mutex_);
    readings_.push_back(reading);
    return okStatus();
  }
  std::vector<gateway::v1::Reading> readings() {
    std::lock_guard lock(mutex_);
    return readings_;
  }
  size_t size() { return readings().size(); }
  std::atomic<bool> full{false};
  std::atomic<int> refused{0};

 private:
  std::mutex mutex_;
  std::vector<gateway::v1::Reading> readings_;
};

// Runs the pipeline executor on its own thread, as gatewayd does.
class Pipeline {
 public:
  Pipeline() : guard_(boost::asio::make_work_guard(io)), thread_([this] { io.run(); }) {}
  ~Pipeline() {
    guard_.reset();
    io.stop();
    thread_.join();
  }
  template <typename F>
  auto run(F f) {
    std::packaged_task<decltype(f())()> task(f);
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }
  // Stops a source and waits until its posted close has run, before the test destroys it.
  void stop(pipeline::Source& source) {
    run([&] {
      source.stop();
      return 0;
    });
    run([] { return 0; });  // FIFO on one thread: the close posted by stop() has run now
  }
  boost::asio::io_context io;

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// JSON readings built from the real SDS011 file, stamped now so the timestamp guard admits them.
std::vector<std::string> jsonReadingsFromCsv(size_t limit) {
  std::ifstream in(gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv"));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> out;
  const int64_t now = nowUnixMs();
  while (std::getline(in, line) && out.size() < limit) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ';');) c.push_back(cell);
    // A millisecond apart: readings of one sensor at one time are duplicates (dropped).
    out.push_back(R"({"sensor":"5331","quantity":"pm10","unit":"ug/m3","value":)" + c[6] +
                  R"(,"time_ms":)" + std::to_string(now + static_cast<int64_t>(out.size())) + "}");
  }
  return out;
}

uint64_t dropped(const Counters& counters, const std::string& source, const std::string& reason) {
  return counters.value(
      counterKey("readings_dropped_total", {{"source", source}, {"reason", reason}}));
}

TEST(UdpListenerTest, RealReadingsArriveAndEveryKindOfBadDatagramIsCounted) {
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  ListenerConfig config;
  config.source_id = "udp";
  config.max_message_bytes = 512;
  config.guard.allowed_sensor_refs = {"5331"};
  UdpListener listener(config, pipeline.io.get_executor(), sink, counters);
  pipeline.run([&] {
    listener.start();
    return 0;
  });
  ASSERT_TRUE(listener.bindStatus().ok());

  boost::asio::io_context client_io;
  udp::socket client(client_io, udp::v4());
  const udp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), listener.boundPort());
  const auto readings = jsonReadingsFromCsv(100);
  for (const auto& r : readings) client.send_to(boost::asio::buffer(r), to);
  ASSERT_TRUE(waitUntil([&] { return sink.size() == readings.size(); }, std::chrono::seconds(10)))
      << sink.size();

  const std::string now = std::to_string(nowUnixMs());
  for (const std::string& bad : {
           std::string("{not json"),
           std::string(600, 'x'),
           R"({"sensor":"5331","quantity":"pm10","value":-1,"time_ms":)" + now + "}",
           R"({"sensor":"9999","quantity":"pm10","value":1,"time_ms":)" + now + "}",
           R"({"sensor":"5331","quantity":"pm10","value":1,"time_ms":)" +
               std::to_string(nowUnixMs() + 3600000) + "}",
           std::string(R"({"sensor":"5331","quantity":"pm10","value":1,"time_ms":1000})"),
       }) {
    client.send_to(boost::asio::buffer(bad), to);
  }
  auto all_counted = [&] {
    return dropped(counters, "udp", "malformed") == 1 &&
           dropped(counters, "udp", "oversized") == 1 &&
           dropped(counters, "udp", "out_of_range") == 1 &&
           dropped(counters, "udp", "unknown_sensor") == 1 &&
           dropped(counters, "udp", "future_timestamp") == 1 &&
           dropped(counters, "udp", "stale_timestamp") == 1;
  };
  EXPECT_TRUE(waitUntil(all_counted, std::chrono::seconds(10)));
  EXPECT_EQ(sink.size(), readings.size());
  pipeline.stop(listener);
}

TEST(TcpListenerTest, JsonLinesUnderBackpressureLoseNothing) {
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  ListenerConfig config;
  config.source_id = "tcp";
  TcpListener listener(config, pipeline.io.get_executor(), sink, counters);
  pipeline.run([&] {
    listener.start();
    return 0;
  });
  ASSERT_TRUE(listener.bindStatus().ok());

  const auto readings = jsonReadingsFromCsv(500);
  std::string stream;
  for (const auto& r : readings) stream += r + "\n";
  boost::asio::io_context client_io;
  tcp::socket client(client_io);
  client.connect({boost::asio::ip::make_address("127.0.0.1"), listener.boundPort()});
  // Half the stream arrives while the pipeline is full: the listener must hold off, not drop.
  sink.full = true;
  boost::asio::write(client, boost::asio::buffer(stream.substr(0, stream.size() / 2)));
  ASSERT_TRUE(waitUntil([&] { return sink.refused > 0; }, std::chrono::seconds(10)));
  sink.full = false;
  boost::asio::write(client, boost::asio::buffer(stream.substr(stream.size() / 2)));
  // Readings offered while full are dropped and counted, never silently: account for every one.
  ASSERT_TRUE(waitUntil(
      [&] { return sink.size() + dropped(counters, "tcp", "pipeline_full") == readings.size(); },
      std::chrono::seconds(10)))
      << sink.size() << " + " << dropped(counters, "tcp", "pipeline_full");
  client.close();
  pipeline.stop(listener);
}

TEST(TcpListenerTest, LengthPrefixedFramesAndAnOversizedFrameClosesTheConnection) {
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  ListenerConfig config;
  config.source_id = "frames";
  config.format = WireFormat::kLengthPrefixedProtobuf;
  config.max_message_bytes = 256;
  TcpListener listener(config, pipeline.io.get_executor(), sink, counters);
  pipeline.run([&] {
    listener.start();
    return 0;
  });
  boost::asio::io_context client_io;
  tcp::socket client(client_io);
  client.connect({boost::asio::ip::make_address("127.0.0.1"), listener.boundPort()});
  std::string frames;
  const int64_t first_ms = nowUnixMs() - 50;  // a millisecond apart: no duplicates
  for (int i = 0; i < 50; ++i) {
    gateway::v1::Reading r;
    r.set_source_id("spoofed");  // the listener, not the sender, names the source
    r.set_quantity("temperature");
    r.set_unit("degC");
    r.set_value(10 + i * 0.1);
    r.set_observed_unix_ms(first_ms + i);
    frames += LengthPrefixedReadingDecoder::encode(r);
  }
  boost::asio::write(client, boost::asio::buffer(frames));
  ASSERT_TRUE(waitUntil([&] { return sink.size() == 50; }, std::chrono::seconds(10)));
  EXPECT_EQ(sink.readings()[0].source_id(), "frames");
  boost::asio::write(client,
                     boost::asio::buffer(std::string("\x00\x00\x10\x00", 4)));  // 4096 > 256
  char byte;
  boost::system::error_code ec;
  boost::asio::read(client, boost::asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, boost::asio::error::eof);  // the listener hung up
  EXPECT_EQ(dropped(counters, "frames", "oversized"), 1u);
  pipeline.stop(listener);
}

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply post(uint16_t port, const std::string& method, const std::string& path,
               const std::string& body) {
  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  const std::string request = method + " " + path +
                              " HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                              "X-Sensor: esp8266-11545355\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string response;
  boost::system::error_code ec;
  char chunk[1024];
  while (size_t n = socket.read_some(boost::asio::buffer(chunk), ec)) response.append(chunk, n);
  HttpReply reply;
  if (response.size() > 12) reply.status = std::stoi(response.substr(9, 3));
  if (auto at = response.find("\r\n\r\n"); at != std::string::npos)
    reply.body = response.substr(at + 4);
  return reply;
}

TEST(HttpPushListenerTest, AirrohrPushIsAcceptedAndBadRequestsGetTheRightStatus) {
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  ListenerConfig config;
  config.source_id = "airrohr";
  config.max_message_bytes = 4096;
  HttpPushListener listener(config, pipeline.io.get_executor(), sink, counters);
  pipeline.run([&] {
    listener.start();
    return 0;
  });
  ASSERT_TRUE(listener.bindStatus().ok());
  const auto body =
      readFile(gw::testing::testData("payloads/measurement_esp8266-11545355_NRZ-2020-133.json"));
  ASSERT_TRUE(body.ok());

  auto ok = post(listener.boundPort(), "POST", "/data/v1/push", *body);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(sink.size(), 5u);
  EXPECT_EQ(post(listener.boundPort(), "GET", "/data/v1/push", "").status, 405);
  EXPECT_EQ(post(listener.boundPort(), "POST", "/elsewhere", *body).status, 404);
  auto bad = post(listener.boundPort(), "POST", "/data/v1/push", "{\"sensordatavalues\": 5}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("sensordatavalues"), std::string::npos);
  EXPECT_EQ(post(listener.boundPort(), "POST", "/data/v1/push", std::string(5000, ' ')).status,
            413);
  sink.full = true;
  EXPECT_EQ(post(listener.boundPort(), "POST", "/data/v1/push", *body).status, 503);
  sink.full = false;
  EXPECT_EQ(dropped(counters, "airrohr", "malformed"), 1u);
  EXPECT_EQ(dropped(counters, "airrohr", "oversized"), 1u);
  EXPECT_EQ(sink.size(), 5u);
  pipeline.stop(listener);
}

TEST(MqttSubscriptionSourceTest, TtnV3UplinksFromASensorBroker) {
  gw::testing::MosquittoBroker broker;
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  MqttSourceConfig config;
  config.source_id = "ttn";
  config.broker_url = broker.url();
  config.client_id = "lantaarn-test-ttn-source";
  config.topics = {"v3/particulatematter@ttn/devices/+/up"};
  config.ttn.lpp_analog_channels = {{1, "pm10"}, {2, "pm2_5"}};
  config.guard.max_age_ms = 20LL * 365 * 24 * 3600 * 1000;  // the sample uplink is from 2021
  MqttSubscriptionSource source(config, pipeline.io.get_executor(), sink, counters);
  source.start();
  ASSERT_TRUE(waitUntil([&] { return source.subscribed(); }, std::chrono::seconds(15)));

  const auto uplink = readFile(gw::testing::testData("payloads/ttnv3_mqtt_message.json"));
  ASSERT_TRUE(uplink.ok());
  mqtt::async_client device_side(broker.url(), "ttn-stand-in");
  device_side.connect()->wait();
  device_side.publish("v3/particulatematter@ttn/devices/fijnstofmeter/up", *uplink, 1, false)
      ->wait();
  device_side
      .publish("v3/particulatematter@ttn/devices/broken/up", std::string("{\"uplink_message\": 7"),
               1, false)
      ->wait();
  device_side.publish("v3/other@ttn/devices/x/up", *uplink, 1, false)->wait();  // not subscribed
  ASSERT_TRUE(
      waitUntil([&] { return sink.size() == 5 && dropped(counters, "ttn", "malformed") == 1; },
                std::chrono::seconds(10)))
      << sink.size();
  std::map<std::string, double> got;
  for (const auto& r : sink.readings()) got[r.quantity()] = r.value();
  EXPECT_DOUBLE_EQ(got["pm10"], 10.94);
  EXPECT_DOUBLE_EQ(got["air_pressure"], 1013.6);
  device_side.disconnect()->wait();
  source.stop();
}

uint64_t count(const Counters& counters, const std::string& name, const std::string& source) {
  return counters.value(counterKey(name, {{"source", source}}));
}

// A source of numbered JSON readings on `sensors/+/reading`.
MqttSourceConfig jsonSource(const std::string& id, const std::string& url) {
  MqttSourceConfig config;
  config.source_id = id;
  config.broker_url = url;
  config.client_id = "lantaarn-test-" + id;
  config.topics = {"sensors/+/reading"};
  config.format = MqttPayloadFormat::kJsonReading;
  config.reconnect_min = std::chrono::milliseconds(100);
  return config;
}

// Publishes readings seq = first..last of sensor wl-1 at QoS 1, each acknowledged by the broker
// before the next (so they reach the broker in order). The value is the seq, to check each one.
// False when an acknowledgement does not come within 10 s.
bool publishReadings(const std::string& url, int first, int last) {
  mqtt::async_client device_side(url, "sensor-stand-in");
  if (!device_side.connect()->wait_for(std::chrono::seconds(10))) return false;
  const int64_t now = nowUnixMs();
  for (int seq = first; seq <= last; ++seq) {
    const std::string s = std::to_string(seq);
    // Each at its own time: readings of one sensor at one time are duplicates (dropped).
    auto token = device_side.publish("sensors/wl-1/reading",
                                     R"({"sensor":"wl-1","quantity":"co","unit":"ug/m3","value":)" +
                                         s + R"(,"time_ms":)" + std::to_string(now + seq) +
                                         R"(,"seq":)" + s + "}",
                                     1, false);
    if (!token->wait_for(std::chrono::seconds(10))) return false;
  }
  device_side.disconnect()->wait_for(std::chrono::seconds(10));
  return true;
}

// The seq of every reading the sink got, each at most once.
std::set<int> seqsOnce(Sink& sink) {
  std::set<int> seen;
  for (const auto& r : sink.readings()) {
    EXPECT_TRUE(seen.insert(static_cast<int>(r.value())).second) << "twice: " << r.value();
  }
  return seen;
}

std::set<int> range(int first, int last) {
  std::set<int> out;
  for (int i = first; i <= last; ++i) out.insert(i);
  return out;
}

TEST(MqttSubscriptionSourceTest, ABurstIntoAFullPipelineIsHeldNotDropped) {
  // While the source is away the broker queues for its session: without limit, as the helper
  // configures it and docs/DEPLOY.md asks of a sensor broker.
  gw::testing::MosquittoBroker broker;
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  auto config = jsonSource("burst", broker.url());
  config.intake_buffer = 500;  // a twelfth of the burst: the source has to leave and come back
  MqttSubscriptionSource source(config, pipeline.io.get_executor(), sink, counters);
  sink.full = true;
  source.start();
  ASSERT_TRUE(waitUntil([&] { return source.subscribed(); }, std::chrono::seconds(15)));

  constexpr int kReadings = 6000;
  ASSERT_TRUE(publishReadings(broker.url(), 1, kReadings));
  // The pipeline stayed full through the whole burst: the intake filled and the source paused.
  ASSERT_TRUE(waitUntil([&] { return count(counters, "source_intake_pauses_total", "burst") > 0; },
                        std::chrono::seconds(15)));
  EXPECT_GT(sink.refused, 0);
  sink.full = false;
  ASSERT_TRUE(waitUntil([&] { return sink.size() >= kReadings; }, std::chrono::seconds(60)))
      << sink.size() << " of " << kReadings;
  EXPECT_EQ(seqsOnce(sink), range(1, kReadings));
  EXPECT_EQ(dropped(counters, "burst", "pipeline_full"), 0u);
  EXPECT_EQ(counters.value(counterKey("readings_missing_total",
                                      {{"source", "burst"}, {"reason", "sequence_gap"}})),
            0u);
  EXPECT_EQ(count(counters, "source_intake_enqueued_total", "burst"),
            count(counters, "source_intake_dequeued_total", "burst"));
  pipeline.stop(source);
}

TEST(MqttSubscriptionSourceTest, AFullIntakeLeavesPahoFreeForTheOtherClients) {
  // Paho runs every client's callbacks in a process on one thread, under one lock: a source that
  // waited there for room would stall gatewayd's publisher, whose acknowledgements are what makes
  // room. Here the only way to release the pipeline is another client's callback.
  gw::testing::MosquittoBroker broker;
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  auto config = jsonSource("shared", broker.url());
  config.intake_buffer = 100;
  MqttSubscriptionSource source(config, pipeline.io.get_executor(), sink, counters);
  sink.full = true;
  source.start();
  ASSERT_TRUE(waitUntil([&] { return source.subscribed(); }, std::chrono::seconds(15)));
  mqtt::async_client other(broker.url(), "other-client-in-this-process");
  other.set_message_callback([&](const mqtt::const_message_ptr&) { sink.full = false; });
  other.connect()->wait();
  other.subscribe("control/release", 1)->wait();

  ASSERT_TRUE(publishReadings(broker.url(), 1, 1000));
  ASSERT_TRUE(waitUntil([&] { return count(counters, "source_intake_pauses_total", "shared") > 0; },
                        std::chrono::seconds(15)));
  ASSERT_TRUE(other.publish("control/release", std::string("go"), 1, false)
                  ->wait_for(std::chrono::seconds(10)));
  ASSERT_TRUE(waitUntil([&] { return sink.size() >= 1000; }, std::chrono::seconds(30)))
      << sink.size();
  EXPECT_EQ(seqsOnce(sink), range(1, 1000));
  other.disconnect()->wait();
  pipeline.stop(source);
}

// A TTN uplink of the sample device with `f_cnt` and `received_at` of its own.
std::string uplinkWith(const nlohmann::json& sample, int f_cnt, const std::string& received_at) {
  auto uplink = sample;
  uplink["uplink_message"]["f_cnt"] = f_cnt;
  uplink["received_at"] = received_at;
  return uplink.dump();
}

TEST(MqttSubscriptionSourceTest, UplinkCounterGapsAndRedeliveriesAreCountedPerDevice) {
  gw::testing::MosquittoBroker broker;
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  MqttSourceConfig config;
  config.source_id = "ttn";
  config.broker_url = broker.url();
  config.client_id = "lantaarn-test-ttn-gaps";
  config.topics = {"v3/particulatematter@ttn/devices/+/up"};
  config.ttn.lpp_analog_channels = {{1, "pm10"}, {2, "pm2_5"}};
  config.guard.max_age_ms = 20LL * 365 * 24 * 3600 * 1000;  // the sample uplink is from 2021
  MqttSubscriptionSource source(config, pipeline.io.get_executor(), sink, counters);
  source.start();
  ASSERT_TRUE(waitUntil([&] { return source.subscribed(); }, std::chrono::seconds(15)));

  const auto text = readFile(gw::testing::testData("payloads/ttnv3_mqtt_message.json"));
  ASSERT_TRUE(text.ok());
  const auto sample = nlohmann::json::parse(*text);
  const std::string topic = "v3/particulatematter@ttn/devices/fijnstofmeter/up";
  mqtt::async_client device_side(broker.url(), "ttn-stand-in");
  device_side.connect()->wait();
  auto send = [&](const std::string& payload) {
    device_side.publish(topic, payload, 1, false)->wait();
  };
  send(uplinkWith(sample, 1, "2021-02-04T22:10:00Z"));
  send(uplinkWith(sample, 2, "2021-02-04T22:11:00Z"));
  const std::string fifth = uplinkWith(sample, 5, "2021-02-04T22:14:00Z");  // 3 and 4 lost
  send(fifth);
  send(fifth);  // the same uplink again, as a QoS 1 redelivery brings it
  send(uplinkWith(sample, 1, "2021-02-05T08:00:00Z"));  // the device rejoined: a new count
  send(uplinkWith(sample, 2, "2021-02-05T08:01:00Z"));

  constexpr size_t kPerUplink = 5;  // readings in the sample's Cayenne LPP payload
  ASSERT_TRUE(waitUntil(
      [&] {
        return sink.size() == 5 * kPerUplink && dropped(counters, "ttn", "duplicate") == kPerUplink;
      },
      std::chrono::seconds(10)))
      << sink.size() << " readings, duplicates dropped " << dropped(counters, "ttn", "duplicate");
  EXPECT_EQ(counters.value(counterKey("readings_missing_total",
                                      {{"source", "ttn"}, {"reason", "sequence_gap"}})),
            2u);
  EXPECT_EQ(count(counters, "sequence_resets_total", "ttn"), 1u);
  device_side.disconnect()->wait();
  pipeline.stop(source);
}

// Each test runs over MQTT 5 (clean start off and a Session Expiry Interval) and 3.1.1 (clean
// session off).
class MqttSourceSessionTest : public ::testing::TestWithParam<MqttProtocol> {};

TEST_P(MqttSourceSessionTest, ReadingsPublishedWhileGatewaydIsAwayArriveWhenItComesBack) {
  gw::testing::BrokerOptions options;
  options.persistence = true;
  gw::testing::MosquittoBroker broker(options);
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  auto config = jsonSource("away", broker.url());
  config.protocol = GetParam();
  {
    MqttSubscriptionSource first(config, pipeline.io.get_executor(), sink, counters);
    first.start();
    ASSERT_TRUE(waitUntil([&] { return first.subscribed(); }, std::chrono::seconds(15)));
    ASSERT_TRUE(publishReadings(broker.url(), 1, 50));
    ASSERT_TRUE(waitUntil([&] { return sink.size() == 50; }, std::chrono::seconds(10)));
    pipeline.stop(first);
  }  // gatewayd is gone; the sensors are not
  ASSERT_TRUE(publishReadings(broker.url(), 51, 350));
  broker.stop();  // and the broker restarts meanwhile: its persistence keeps our session
  broker.start();
  MqttSubscriptionSource second(config, pipeline.io.get_executor(), sink, counters);
  second.start();
  ASSERT_TRUE(waitUntil([&] { return sink.size() >= 350; }, std::chrono::seconds(20)))
      << sink.size();
  EXPECT_EQ(seqsOnce(sink), range(1, 350));
  EXPECT_EQ(count(counters, "source_sessions_lost_total", "away"), 0u);
  pipeline.stop(second);
}

TEST_P(MqttSourceSessionTest, ABrokerThatForgotOurSessionIsCounted) {
  gw::testing::MosquittoBroker broker;  // no persistence: a restart forgets every session
  Pipeline pipeline;
  Sink sink;
  Counters counters;
  auto config = jsonSource("forgotten", broker.url());
  config.protocol = GetParam();
  MqttSubscriptionSource source(config, pipeline.io.get_executor(), sink, counters);
  source.start();
  ASSERT_TRUE(waitUntil([&] { return source.subscribed(); }, std::chrono::seconds(15)));
  broker.stop();
  broker.start();
  ASSERT_TRUE(
      waitUntil([&] { return count(counters, "source_sessions_lost_total", "forgotten") == 1; },
                std::chrono::seconds(20)));
  // It subscribed again on the new session: readings flow.
  ASSERT_TRUE(waitUntil([&] { return source.subscribed(); }, std::chrono::seconds(15)));
  ASSERT_TRUE(publishReadings(broker.url(), 1, 3));
  EXPECT_TRUE(waitUntil([&] { return sink.size() == 3; }, std::chrono::seconds(10)));
  pipeline.stop(source);
}

INSTANTIATE_TEST_SUITE_P(Protocols, MqttSourceSessionTest,
                         ::testing::Values(MqttProtocol::kV5, MqttProtocol::kV311),
                         [](const auto& param_info) {
                           return param_info.param == MqttProtocol::kV5 ? "Mqtt5" : "Mqtt311";
                         });

}  // namespace
}  // namespace gw::sources
