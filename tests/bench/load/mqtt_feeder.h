#pragma once
// The sensors' side of an MQTT ingest: one Paho async client publishing json_reading payloads at
// QoS 1, one topic per sensor, with at most `window` PUBLISHes waiting for their PUBACK (as a
// sensor gateway or bridge would hold back; never more than the broker's Receive Maximum). A
// reading counts as published when Paho took it, as acknowledged when the broker's PUBACK came
// back.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace mqtt {
class async_client;
}

namespace gw::load {

struct MqttFeedConfig {
  std::string broker_url;
  std::string client_id = "lantaarn-load-feeder";
  int window = 100;  // QoS 1 PUBLISHes without a PUBACK yet
  bool mqtt5 = true;
  // TCP_NODELAY on the feeder's connection, as gatewayd sets on its own (core/tcp_nodelay.h);
  // off by default: a sensor platform's client is not ours to tune.
  bool no_delay = false;
};

// The topic sensor `source` publishes to.
std::string sensorTopic(const std::string& source, const std::string& quantity);

class MqttFeed {
 public:
  explicit MqttFeed(MqttFeedConfig config);
  ~MqttFeed();

  // Connects (clean session); an empty string when connected, else the error.
  std::string connect();
  // Waits for room in the window, then publishes; false (and error()) when a publish failed.
  bool publish(const std::string& topic, std::string payload);
  // Waits until every PUBLISH has its PUBACK (or failed), then disconnects.
  void finish();

  int64_t acked() const { return acked_.load(); }
  int64_t failed() const { return failed_.load(); }
  std::string error() const;

 private:
  class Listener;
  void done(bool ok, const std::string& why);

  MqttFeedConfig config_;
  std::unique_ptr<mqtt::async_client> client_;
  std::unique_ptr<Listener> listener_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t outstanding_ = 0;
  int64_t window_ = config_.window;  // lowered to the broker's Receive Maximum at connect
  std::string error_;
  std::atomic<int64_t> acked_{0}, failed_{0};
};

}  // namespace gw::load
