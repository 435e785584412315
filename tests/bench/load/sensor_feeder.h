#pragma once
// Plays the sensors: writes json_reading lines to gatewayd's listeners at a total rate (paced on
// a 1 ms tick, so a burst is at most one tick's worth) or as fast as TCP accepts, each line
// stamped with its send time. With transport mqtt it publishes each reading instead (QoS 1, one
// topic per sensor, a bounded window; mqtt_feeder.h) to the broker gatewayd's MQTT sources
// subscribe to. One thread feeds all background sensors; alarms have their own, so
// their timing does not depend on the background's socket writes.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace gw::load {

struct FeedPlan {
  std::string transport = "tcp";  // tcp, udp or mqtt
  std::vector<int> ports;         // tcp, udp: one sensor (connection) per port
  std::string quantity = "pm10";
  double whole_value = 10;  // the reading's value before the time fraction
  double alt_value = -1;    // when >= 0: every second reading has this value instead
  double rate = 0;          // readings/s in total; 0: unpaced (tcp and mqtt only)
  int64_t count = 0;        // readings in total; with rate, the feed stops after this many
  // mqtt: one sensor per topic, all through one client to this broker.
  std::string broker_url;
  std::vector<std::string> topics;
  int window = 100;  // QoS 1 PUBLISHes in flight
  bool mqtt5 = true;
  bool no_delay = false;  // mqtt: TCP_NODELAY on the feeder's connection
  // When not empty: sensor s reports quantities[s] instead of `quantity`.
  std::vector<std::string> quantities;
};

// A tcp or udp feed (or an mqtt one, to be given its broker and topics).
FeedPlan socketPlan(std::string transport, std::vector<int> ports, std::string quantity,
                    double whole_value, double alt_value, double rate, int64_t count);

class SensorFeeder {
 public:
  explicit SensorFeeder(FeedPlan plan);
  ~SensorFeeder();

  void start();
  void stopAndJoin();  // for an open-ended feed (the alarms), or to give up
  void join();

  // Readings written per sensor so far (what the actors must receive).
  std::vector<int64_t> sentPerSensor() const;
  // mqtt: PUBACKs received, and publishes that failed (valid after join).
  int64_t acked() const { return acked_; }
  int64_t failed() const { return failed_; }
  int64_t firstSendUs() const { return first_send_us_.load(); }
  int64_t lastSendUs() const { return last_send_us_.load(); }
  const std::string& error() const { return error_; }  // valid after join

 private:
  int64_t dueBy(std::chrono::steady_clock::time_point start, int64_t total, size_t sensors) const;
  void run();
  void runMqtt();
  size_t sensors() const;
  std::string quantityOf(size_t sensor) const;

  FeedPlan plan_;
  std::vector<std::atomic<int64_t>> sent_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> first_send_us_{0};
  std::atomic<int64_t> last_send_us_{0};
  std::string error_;
  int64_t acked_ = 0, failed_ = 0;
  std::thread thread_;
};

int64_t wallMicros();

}  // namespace gw::load
