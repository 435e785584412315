#pragma once
// Plays the sensors: writes json_reading lines to gatewayd's listeners at a total rate (paced on
// a 1 ms tick, so a burst is at most one tick's worth) or as fast as TCP accepts, each line
// stamped with its send time. One thread feeds all background sensors; alarms have their own, so
// their timing does not depend on the background's socket writes.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace gw::load {

struct FeedPlan {
  std::string transport = "tcp";  // tcp or udp
  std::vector<int> ports;         // one sensor (connection) per port
  std::string quantity = "pm10";
  double whole_value = 10;  // the reading's value before the time fraction
  double alt_value = -1;    // when >= 0: every second reading has this value instead
  double rate = 0;          // readings/s in total; 0: unpaced (tcp only)
  int64_t count = 0;        // readings in total; with rate, the feed stops after this many
};

class SensorFeeder {
 public:
  explicit SensorFeeder(FeedPlan plan);
  ~SensorFeeder();

  void start();
  void stopAndJoin();  // for an open-ended feed (the alarms), or to give up
  void join();

  // Readings written per sensor so far (what the actors must receive).
  std::vector<int64_t> sentPerSensor() const;
  int64_t firstSendUs() const { return first_send_us_.load(); }
  int64_t lastSendUs() const { return last_send_us_.load(); }
  const std::string& error() const { return error_; }  // valid after join

 private:
  void run();

  FeedPlan plan_;
  std::vector<std::atomic<int64_t>> sent_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> first_send_us_{0};
  std::atomic<int64_t> last_send_us_{0};
  std::string error_;
  std::thread thread_;
};

int64_t wallMicros();

}  // namespace gw::load
