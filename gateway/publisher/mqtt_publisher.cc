#include "gateway/publisher/mqtt_publisher.h"

#include "gateway/pipeline/topics.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace gw::publisher {

namespace {
constexpr int kQos = 1;
// Headroom in Paho's command buffer above our window (status messages, a disconnect).
constexpr int kBufferHeadroom = 16;
constexpr auto kRetryAfterReject = std::chrono::milliseconds(50);
}  // namespace

MqttPublisher::MqttPublisher(PublisherConfig config, boost::asio::any_io_executor executor,
                             pipeline::Outbox& outbox, Counters& counters)
    : config_(std::move(config)),
      executor_(std::move(executor)),
      outbox_(outbox),
      counters_(counters),
      retry_timer_(executor_),
      reconnect_timer_(executor_) {}

MqttPublisher::~MqttPublisher() = default;

Status MqttPublisher::start() {
  try {
    mqtt::create_options create(MQTTVERSION_3_1_1,
                                static_cast<int>(config_.max_inflight) + kBufferHeadroom);
    // No Paho persistence: the outbox owns durability (Paho's file store manages ~2k msg/s).
    client_ = std::make_unique<mqtt::async_client>(config_.broker_url, config_.client_id, create,
                                                   nullptr);
    client_->set_connected_handler(
        [this](const std::string&) { boost::asio::post(executor_, [this] { onConnected(); }); });
    client_->set_connection_lost_handler([this](const std::string& cause) {
      boost::asio::post(executor_, [this, cause] { onConnectionLost(cause); });
    });
    auto builder = mqtt::connect_options_builder()
                       .clean_session(true)
                       .keep_alive_interval(std::chrono::seconds(20))
                       .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(30))
                       .max_inflight(static_cast<int>(config_.max_inflight))
                       .connect_timeout(std::chrono::seconds(10));
    if (!config_.status_topic.empty()) {
      builder.will(mqtt::message(config_.status_topic, std::string("offline"), kQos, true));
    }
    if (!config_.username.empty()) builder.user_name(config_.username);
    connect_options_ = builder.finalize();
    spdlog::info("Publisher connecting broker={} client_id={} max_inflight={}", config_.broker_url,
                 config_.client_id, config_.max_inflight);
    client_->connect(connect_options_, nullptr, *this);
  } catch (const mqtt::exception& e) {
    return invalidArgument("cannot create MQTT client for " + config_.broker_url + ": " + e.what());
  }
  return okStatus();
}

void MqttPublisher::onConnected() {
  connected_ = true;
  reconnect_backoff_ = std::chrono::seconds(1);
  counters_.add("broker_connects_total");
  spdlog::info("Publisher connected broker={}", config_.broker_url);
  if (!config_.status_topic.empty()) {
    try {
      client_->publish(mqtt::make_message(config_.status_topic, std::string("online"), kQos, true));
    } catch (const mqtt::exception& e) {
      spdlog::warn("Publisher could not publish status error=\"{}\"", e.what());
    }
  }
  // A fresh session knows nothing of what was in flight before: send it again, in order.
  outbox_.requeueAllInFlight();
  pump();
}

void MqttPublisher::onConnectionLost(const std::string& cause) {
  connected_ = false;
  counters_.add("broker_disconnects_total");
  spdlog::warn("Publisher lost broker connection broker={} cause=\"{}\"; reconnecting",
               config_.broker_url, cause);
  outbox_.requeueAllInFlight();
}

void MqttPublisher::pump() {
  if (!connected_ || stopping_) return;
  while (outbox_.inFlight() < config_.max_inflight) {
    const pipeline::Outbox::Entry* entry = outbox_.takeNext();
    if (entry == nullptr) return;
    try {
      auto message = mqtt::make_message(entry->message.topic, entry->message.payload, kQos,
                                        pipeline::isRetainedTopic(entry->message.topic));
      // The entry id rides in the user context, so the acknowledgement finds its entry.
      client_->publish(message, reinterpret_cast<void*>(static_cast<uintptr_t>(entry->id)), *this);
      counters_.add(counterKey("messages_published_total", {{"actor", entry->message.actor_id}}));
    } catch (const mqtt::exception& e) {
      // Disconnected (-3) or Paho's buffer full (-12): keep the entry and try again shortly.
      outbox_.requeue(entry->id);
      counters_.add(
          counterKey("publish_rejected_total", {{"code", std::to_string(e.get_return_code())}}));
      retryLater();
      return;
    }
  }
}

void MqttPublisher::retryLater() {
  if (retry_scheduled_) return;
  retry_scheduled_ = true;
  retry_timer_.expires_after(kRetryAfterReject);
  retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    retry_scheduled_ = false;
    if (!ec) pump();
  });
}

void MqttPublisher::connectLater() {
  if (stopping_) return;
  reconnect_timer_.expires_after(reconnect_backoff_);
  reconnect_backoff_ = std::min(reconnect_backoff_ * 2, std::chrono::seconds(30));
  reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_ || connected_) return;
    try {
      client_->connect(connect_options_, nullptr, *this);
    } catch (const mqtt::exception& e) {
      spdlog::warn("Publisher connect failed error=\"{}\"", e.what());
      connectLater();
    }
  });
}

void MqttPublisher::on_success(const mqtt::token& tok) {
  const auto id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(tok.get_user_context()));
  if (id == 0) {
    // The connect token carries no entry id.
    return;
  }
  boost::asio::post(executor_, [this, id] {
    outbox_.ack(id);
    pump();
  });
}

void MqttPublisher::on_failure(const mqtt::token& tok) {
  const auto id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(tok.get_user_context()));
  if (id == 0) {
    // Paho reconnects by itself only after a connection was lost, not when the first connect
    // fails (broker not up yet): retry that ourselves, with backoff.
    spdlog::warn("Publisher connect attempt failed broker={} rc={}; retrying", config_.broker_url,
                 tok.get_return_code());
    boost::asio::post(executor_, [this] { connectLater(); });
    return;
  }
  boost::asio::post(executor_, [this, id] {
    counters_.add("publish_failed_total");
    outbox_.requeue(id);
    retryLater();
  });
}

void MqttPublisher::stop(std::chrono::milliseconds timeout) {
  stopping_ = true;
  retry_timer_.cancel();
  reconnect_timer_.cancel();
  if (!client_) return;
  try {
    if (client_->is_connected()) {
      if (!config_.status_topic.empty()) {
        client_
            ->publish(mqtt::make_message(config_.status_topic, std::string("offline"), kQos, true))
            ->wait_for(timeout);
      }
      client_->disconnect()->wait_for(timeout);
    } else {
      client_->stop_consuming();
    }
  } catch (const mqtt::exception& e) {
    spdlog::warn("Publisher disconnect failed error=\"{}\"", e.what());
  }
  connected_ = false;
}

}  // namespace gw::publisher
