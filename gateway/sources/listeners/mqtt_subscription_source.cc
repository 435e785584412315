#include "gateway/sources/listeners/mqtt_subscription_source.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "gateway/core/clock.h"
#include "gateway/sources/sensor/formats/json_reading.h"

namespace gw::sources {

void MqttSubscriptionSource::SubscribeListener::on_success(const mqtt::token&) {
  owner_.subscribed_ = true;
  spdlog::info("Source subscribed source={} broker={} topics={}", owner_.config_.source_id,
               owner_.config_.broker_url, owner_.config_.topics.size());
}

void MqttSubscriptionSource::SubscribeListener::on_failure(const mqtt::token& tok) {
  spdlog::error("Source subscription refused source={} rc={}", owner_.config_.source_id,
                tok.get_return_code());
}

MqttSubscriptionSource::MqttSubscriptionSource(MqttSourceConfig config,
                                               boost::asio::any_io_executor executor,
                                               pipeline::ReadingSink& sink, Counters& counters)
    : config_(std::move(config)),
      executor_(std::move(executor)),
      intake_(config_.source_id, config_.guard, sink, counters),
      subscribe_listener_(*this) {}

MqttSubscriptionSource::~MqttSubscriptionSource() {
  if (!client_) return;
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // Shutting down: nothing left to do with a broken connection.
  }
}

void MqttSubscriptionSource::start() {
  try {
    client_ = std::make_unique<mqtt::async_client>(config_.broker_url, config_.client_id);
    client_->set_message_callback([this](const mqtt::const_message_ptr& msg) {
      // Paho thread: copy out and hand over; all parsing and counting happens on the pipeline.
      boost::asio::post(executor_,
                        [this, topic = msg->get_topic(), payload = msg->get_payload_str()] {
                          onMessage(topic, payload);
                        });
    });
    // (Re)subscribe on every connect: a broker that lost our session must learn the topics again.
    // Never wait inside a Paho callback: the SUBACK is processed by the very thread that waits.
    client_->set_connected_handler([this](const std::string&) {
      try {
        std::vector<int> qos(config_.topics.size(), 1);
        client_->subscribe(mqtt::string_collection::create(config_.topics), qos, nullptr,
                           subscribe_listener_);
      } catch (const mqtt::exception& e) {
        spdlog::error("Source subscribe failed source={} error=\"{}\"", config_.source_id,
                      e.what());
      }
    });
    client_->set_connection_lost_handler([this](const std::string& cause) {
      subscribed_ = false;
      spdlog::warn("Source lost its broker source={} cause=\"{}\"; reconnecting", config_.source_id,
                   cause);
    });
    auto options = mqtt::connect_options_builder()
                       .clean_session(false)
                       .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(30))
                       .keep_alive_interval(std::chrono::seconds(30));
    if (!config_.username.empty()) options.user_name(config_.username).password(config_.password);
    client_->connect(options.finalize());
  } catch (const mqtt::exception& e) {
    spdlog::error("Source cannot connect source={} broker={} error=\"{}\"", config_.source_id,
                  config_.broker_url, e.what());
  }
}

void MqttSubscriptionSource::stop() {
  if (!client_) return;
  try {
    client_->disconnect();
  } catch (const mqtt::exception&) {
    // Already disconnected.
  }
}

void MqttSubscriptionSource::onMessage(const std::string& topic, const std::string& payload) {
  if (payload.size() > config_.max_message_bytes) {
    intake_.reject("oversized", topic + ": " + std::to_string(payload.size()) + " bytes");
    return;
  }
  auto parsed = config_.format == MqttPayloadFormat::kTtnV3Uplink
                    ? parseTtnUplink(payload, config_.source_id, config_.ttn)
                    : parseJsonReading(payload, config_.source_id);
  if (!parsed.ok()) {
    intake_.reject("malformed", topic + ": " + parsed.status().message());
    return;
  }
  intake_.deliver(*parsed, nowUnixMs());
}

}  // namespace gw::sources
