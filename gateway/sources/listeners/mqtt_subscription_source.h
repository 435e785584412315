#pragma once
// Readings from a sensor broker over MQTT: subscribes (QoS 1) to topics on a local or remote
// broker, e.g. The Things Network v3 (`v3/<app>@ttn/devices/+/up`), and parses each message as a
// TTN v3 uplink or as a JSON reading. Paho's callback thread only posts the payload to the
// pipeline executor. MQTT cannot be pushed back per message, so while the pipeline is full a
// message's readings are dropped and counted (`pipeline_full`).
#include <mqtt/async_client.h>

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <vector>

#include "gateway/sources/listeners/listener_config.h"
#include "gateway/sources/reading_source.h"
#include "gateway/sources/sensor/formats/ttn_uplink.h"

namespace gw::sources {

enum class MqttPayloadFormat { kTtnV3Uplink, kJsonReading };

struct MqttSourceConfig {
  std::string source_id;
  std::string broker_url;  // tcp://host:1883 or ssl://host:8883
  std::string client_id;   // stable, so the broker keeps the session while we are away
  std::string username;
  std::string password;
  std::vector<std::string> topics;
  MqttPayloadFormat format = MqttPayloadFormat::kTtnV3Uplink;
  TtnMapping ttn;
  size_t max_message_bytes = size_t{64} * 1024;
  GuardConfig guard;
};

class MqttSubscriptionSource : public ReadingSource {
 public:
  MqttSubscriptionSource(MqttSourceConfig config, boost::asio::any_io_executor executor,
                         pipeline::ReadingSink& sink, Counters& counters);
  ~MqttSubscriptionSource() override;

  const std::string& id() const override { return config_.source_id; }
  void start() override;
  void stop() override;
  bool finished() const override { return false; }
  bool subscribed() const { return subscribed_.load(); }

 private:
  void onMessage(const std::string& topic, const std::string& payload);

  class SubscribeListener : public mqtt::iaction_listener {
   public:
    explicit SubscribeListener(MqttSubscriptionSource& owner) : owner_(owner) {}
    void on_success(const mqtt::token& tok) override;
    void on_failure(const mqtt::token& tok) override;

   private:
    MqttSubscriptionSource& owner_;
  };

  MqttSourceConfig config_;
  boost::asio::any_io_executor executor_;
  Intake intake_;
  std::unique_ptr<mqtt::async_client> client_;
  SubscribeListener subscribe_listener_;
  std::atomic<bool> subscribed_{false};
};

}  // namespace gw::sources
