#include "tests/bench/load/mqtt_feeder.h"

#include <mqtt/async_client.h>

#include "gateway/core/tcp_nodelay.h"

namespace gw::load {

std::string sensorTopic(const std::string& source, const std::string& quantity) {
  return "sensors/" + source + "/" + quantity;
}

// Paho calls it on its own thread, once per PUBLISH token.
class MqttFeed::Listener : public mqtt::iaction_listener {
 public:
  explicit Listener(MqttFeed* feed) : feed_(feed) {}
  void on_success(const mqtt::token&) override { feed_->done(true, {}); }
  void on_failure(const mqtt::token& tok) override {
    feed_->done(false, "a QoS 1 publish failed, rc=" + std::to_string(tok.get_return_code()) +
                           " reason=" + std::to_string(static_cast<int>(tok.get_reason_code())));
  }

 private:
  MqttFeed* feed_;
};

MqttFeed::MqttFeed(MqttFeedConfig config)
    : config_(std::move(config)), listener_(std::make_unique<Listener>(this)) {}

MqttFeed::~MqttFeed() {
  try {
    if (client_ && client_->is_connected()) client_->disconnect()->wait();
  } catch (const mqtt::exception&) {  // leaving anyway
  }
}

std::string MqttFeed::connect() {
  const int version = config_.mqtt5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  try {
    client_ = std::make_unique<mqtt::async_client>(
        config_.broker_url, config_.client_id, mqtt::create_options(version, config_.window + 10));
    auto options = mqtt::connect_options_builder()
                       .clean_session(!config_.mqtt5)
                       .clean_start(config_.mqtt5)
                       .mqtt_version(version)
                       .max_inflight(config_.window)
                       .finalize();
    auto token = client_->connect(options);
    token->wait();
    // As gatewayd does: a window above the broker's Receive Maximum (Mosquitto's 20 by default
    // under MQTT 5) makes Paho hold the excess in its queue, sent only on the next publish() or
    // after its 1 s wait, so the last readings of a burst would arrive seconds late
    // (shared/measurements.md section 3) and be counted as the gateway's latency.
    if (config_.no_delay) disableNagleTowardsBroker(config_.broker_url);
    const auto response = token->get_connect_response();
    if (response.get_mqtt_version() >= MQTTVERSION_5 &&
        response.get_properties().contains(mqtt::property::RECEIVE_MAXIMUM)) {
      const int64_t receive_maximum =
          mqtt::get<uint16_t>(response.get_properties(), mqtt::property::RECEIVE_MAXIMUM);
      std::lock_guard lock(mu_);
      window_ = std::min(window_, receive_maximum);
    }
  } catch (const mqtt::exception& e) {
    return std::string("feeder cannot connect to ") + config_.broker_url + ": " + e.what();
  }
  return {};
}

bool MqttFeed::publish(const std::string& topic, std::string payload) {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return outstanding_ < window_ || !error_.empty(); });
    if (!error_.empty()) return false;
    ++outstanding_;
  }
  try {
    client_->publish(mqtt::make_message(topic, std::move(payload), 1, false), nullptr, *listener_);
  } catch (const mqtt::exception& e) {
    done(false, std::string("publish: ") + e.what());
    return false;
  }
  return true;
}

void MqttFeed::done(bool ok, const std::string& why) {
  if (ok) {
    ++acked_;
  } else {
    ++failed_;
  }
  std::lock_guard lock(mu_);
  if (!ok && error_.empty()) error_ = why;
  --outstanding_;
  cv_.notify_all();
}

void MqttFeed::finish() {
  {
    // A PUBACK that never comes (the broker gone) must not hang the run: give up after a minute.
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return outstanding_ == 0; })) {
      if (error_.empty()) error_ = std::to_string(outstanding_) + " PUBACKs never came";
    }
  }
  try {
    if (client_ && client_->is_connected()) client_->disconnect()->wait();
  } catch (const mqtt::exception& e) {
    std::lock_guard lock(mu_);
    if (error_.empty()) error_ = std::string("feeder disconnect: ") + e.what();
  }
}

std::string MqttFeed::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

}  // namespace gw::load
