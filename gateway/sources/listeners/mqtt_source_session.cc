#include "gateway/sources/listeners/mqtt_source_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "gateway/core/mqtt_version_refusal.h"
#include "gateway/core/tcp_nodelay.h"

namespace gw::sources {

namespace {
constexpr int kQos = 1;
constexpr auto kShutdownWait = std::chrono::seconds(1);

const char* versionName(int mqtt_version) { return mqtt_version == MQTTVERSION_5 ? "5" : "3.1.1"; }
}  // namespace

MqttSourceSession::MqttSourceSession(const MqttSourceConfig& config,
                                     boost::asio::any_io_executor executor,
                                     const Lifeline& lifeline, Counters& counters,
                                     MessageHandler on_message)
    : config_(config),
      executor_(std::move(executor)),
      lifeline_(lifeline),
      counters_(counters),
      on_message_(std::move(on_message)),
      reconnect_timer_(executor_),
      backoff_(config_.reconnect_min),
      mqtt_version_(config_.protocol == MqttProtocol::kV311 ? MQTTVERSION_3_1_1 : MQTTVERSION_5) {
  // Shown by the metrics endpoint from the first scrape, not only after the first loss.
  counters_.get(counterKey("source_sessions_lost_total", {{"source", config_.source_id}}));
}

MqttSourceSession::~MqttSourceSession() { shutdown(); }

void MqttSourceSession::shutdown() {
  if (!client_) return;
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(kShutdownWait);
  } catch (const mqtt::exception&) {
    // Shutting down: nothing left to do with a broken connection.
  }
  client_.reset();
  retired_client_.reset();
}

void MqttSourceSession::createClient(int mqtt_version) {
  auto client = std::make_unique<mqtt::async_client>(config_.broker_url, config_.client_id,
                                                     mqtt::create_options(mqtt_version), nullptr);
  client->set_message_callback(on_message_);
  client->set_connection_lost_handler([this](const std::string& cause) {
    boost::asio::post(executor_, lifeline_.guard([this, cause] { onConnectionLost(cause); }));
  });
  retired_client_ = std::move(client_);
  client_ = std::move(client);
  mqtt_version_ = mqtt_version;
}

mqtt::connect_options MqttSourceSession::connectOptions() const {
  // The version first: Paho clears the other protocol's session flag when it is set.
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(mqtt_version_)
                     .keep_alive_interval(std::chrono::seconds(30))
                     .connect_timeout(std::chrono::seconds(10));
  if (mqtt_version_ == MQTTVERSION_5) {
    builder.clean_start(false);
  } else {
    builder.clean_session(false);
  }
  if (!config_.username.empty()) builder.user_name(config_.username);
  if (!config_.password.empty()) builder.password(config_.password);
  auto options = builder.finalize();
  if (mqtt_version_ == MQTTVERSION_5) {
    // Without a Session Expiry Interval an MQTT 5 session ends with the connection, and with it
    // everything the broker would queue for us while gatewayd restarts or the source pauses.
    // Set on the finished options: Paho C++ 1.2 loses properties given to the builder
    // (paho.mqtt.cpp #362; seen on the wire: a CONNECT without properties).
    const auto expiry = static_cast<uint32_t>(
        std::min<int64_t>(config_.session_expiry.count(), int64_t{0xFFFFFFFF}));
    options.set_properties(mqtt::properties{
        {mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int32_t>(expiry)},
        {mqtt::property::RECEIVE_MAXIMUM, static_cast<int32_t>(config_.receive_maximum)}});
  }
  return options;
}

void MqttSourceSession::open() {
  try {
    createClient(mqtt_version_);
  } catch (const mqtt::exception& e) {
    spdlog::error("Source cannot create its MQTT client source={} broker={} error=\"{}\"",
                  config_.source_id, config_.broker_url, e.what());
    return;
  }
  spdlog::info("Source connecting source={} broker={} client_id={} mqtt={}", config_.source_id,
               config_.broker_url, config_.client_id, versionName(mqtt_version_));
  connectNow();
}

void MqttSourceSession::connectNow() {
  if (!client_ || closed_ || paused_ || state_ != State::kIdle) return;
  state_ = State::kConnecting;
  try {
    client_->connect(connectOptions(), nullptr, *this);
  } catch (const mqtt::exception& e) {
    spdlog::warn("Source connect failed source={} broker={} error=\"{}\"", config_.source_id,
                 config_.broker_url, e.what());
    state_ = State::kIdle;
    connectLater();
  }
}

void MqttSourceSession::connectLater() {
  if (closed_ || paused_) return;
  const auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, config_.reconnect_max);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait(lifeline_.guard([this](const boost::system::error_code& ec) {
    if (!ec) connectNow();
  }));
}

void MqttSourceSession::leave() {
  reconnect_timer_.cancel();
  subscribed_ = false;
  if (state_ != State::kConnected) return;  // connecting: onConnected() leaves
  state_ = State::kDisconnecting;
  try {
    client_->disconnect(nullptr, *this);
  } catch (const mqtt::exception&) {
    state_ = State::kIdle;  // already gone
    onDisconnected();
  }
}

void MqttSourceSession::pause() {
  paused_ = true;
  leave();
}

void MqttSourceSession::resume() {
  paused_ = false;
  backoff_ = config_.reconnect_min;
  reconnect_timer_.cancel();
  connectNow();  // when still disconnecting, onDisconnected() connects
}

void MqttSourceSession::close() {
  closed_ = true;
  leave();
}

void MqttSourceSession::onConnected(bool session_present, int mqtt_version) {
  if (state_ != State::kConnecting) return;
  state_ = State::kConnected;
  backoff_ = config_.reconnect_min;
  // Our PUBACKs then leave at once, and with them the TCP acknowledgements a broker with Nagle
  // on waits for before its next PUBLISH to us (core/tcp_nodelay.h, issue 20).
  disableNagleTowardsBroker(config_.broker_url);
  if (had_session_ && !session_present) {
    counters_.add(counterKey("source_sessions_lost_total", {{"source", config_.source_id}}));
    spdlog::warn(
        "Source broker had no session for us source={} broker={} client_id={}: whatever it "
        "queued for us while we were away is lost (broker restarted without persistence, or the "
        "session expired)",
        config_.source_id, config_.broker_url, config_.client_id);
  } else if (!had_session_) {
    spdlog::info("Source connected source={} broker={} mqtt={} session={}", config_.source_id,
                 config_.broker_url, versionName(mqtt_version),
                 session_present ? "resumed" : "new");
  }
  had_session_ = true;
  if (closed_ || paused_) {
    leave();
    return;
  }
  // A session the broker kept has our subscriptions (and a pause needs no new SUBSCRIBE); a new
  // one, or the first connect of this run (the topics may have changed), subscribes.
  if (!session_present) must_subscribe_ = true;
  if (must_subscribe_) {
    subscribe();
  } else {
    subscribed_ = true;
  }
}

void MqttSourceSession::subscribe() {
  // Never wait here or in a Paho callback: the SUBACK is processed by Paho's one receive thread.
  try {
    std::vector<int> qos(config_.topics.size(), kQos);
    client_->subscribe(mqtt::string_collection::create(config_.topics), qos, nullptr, *this);
  } catch (const mqtt::exception& e) {
    onSubscribeFailed(e.get_return_code());
  }
}

void MqttSourceSession::onSubscribed() {
  if (state_ != State::kConnected) return;
  must_subscribe_ = false;
  subscribed_ = true;
  // Once at info; a broker that lost our session makes it subscribe again.
  spdlog::log(announced_ ? spdlog::level::debug : spdlog::level::info,
              "Source subscribed source={} broker={} topics={}", config_.source_id,
              config_.broker_url, config_.topics.size());
  announced_ = true;
}

void MqttSourceSession::onSubscribeFailed(int rc) {
  if (state_ != State::kConnected || closed_ || paused_) return;  // left meanwhile
  spdlog::warn("Source subscribe failed source={} rc={}; trying again", config_.source_id, rc);
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, config_.reconnect_max);
  reconnect_timer_.async_wait(lifeline_.guard([this](const boost::system::error_code& ec) {
    if (!ec && state_ == State::kConnected) subscribe();
  }));
}

void MqttSourceSession::onConnectFailed(int rc, int reason_code) {
  if (state_ != State::kConnecting) return;
  state_ = State::kIdle;
  const bool refused_version = refusedProtocolVersion(rc, reason_code);
  if (config_.protocol == MqttProtocol::kAuto && mqtt_version_ == MQTTVERSION_5 &&
      refused_version) {
    // A broker that predates MQTT 5: a Paho client speaks one version, so make a new one.
    spdlog::warn("Source broker={} refused MQTT 5 source={}; falling back to 3.1.1",
                 config_.broker_url, config_.source_id);
    try {
      createClient(MQTTVERSION_3_1_1);
    } catch (const mqtt::exception& e) {
      spdlog::error("Source cannot create its MQTT client source={} error=\"{}\"",
                    config_.source_id, e.what());
      return;
    }
    connectNow();
    return;
  }
  spdlog::warn("Source connect attempt failed source={} broker={} rc={} reason={}; retrying",
               config_.source_id, config_.broker_url, rc, reason_code);
  connectLater();
}

void MqttSourceSession::onConnectionLost(const std::string& cause) {
  subscribed_ = false;
  if (state_ != State::kConnected) return;
  state_ = State::kIdle;
  spdlog::warn("Source lost its broker source={} cause=\"{}\"; reconnecting", config_.source_id,
               cause);
  connectLater();
}

void MqttSourceSession::onDisconnected() {
  if (state_ == State::kDisconnecting) state_ = State::kIdle;
  if (!closed_ && !paused_) connectNow();  // resumed while we were still leaving
}

void MqttSourceSession::on_success(const mqtt::token& tok) {
  switch (tok.get_type()) {
    case mqtt::token::Type::CONNECT: {
      const auto response = tok.get_connect_response();
      const bool present = response.is_session_present();
      const int version = response.get_mqtt_version();
      boost::asio::post(
          executor_, lifeline_.guard([this, present, version] { onConnected(present, version); }));
      break;
    }
    case mqtt::token::Type::SUBSCRIBE:
      // The SUBACK's per-topic codes are not read: Paho C++ 1.2 hands out garbage for them
      // under MQTT 5 (seen: 952900816 for a granted QoS 1). A refused topic shows as no data.
      boost::asio::post(executor_, lifeline_.guard([this] { onSubscribed(); }));
      break;
    case mqtt::token::Type::DISCONNECT:
      boost::asio::post(executor_, lifeline_.guard([this] { onDisconnected(); }));
      break;
    default:
      break;
  }
}

void MqttSourceSession::on_failure(const mqtt::token& tok) {
  switch (tok.get_type()) {
    case mqtt::token::Type::CONNECT: {
      const int rc = tok.get_return_code();
      const int reason = static_cast<int>(tok.get_reason_code());
      boost::asio::post(executor_,
                        lifeline_.guard([this, rc, reason] { onConnectFailed(rc, reason); }));
      break;
    }
    case mqtt::token::Type::SUBSCRIBE: {
      const int rc = tok.get_return_code();
      boost::asio::post(executor_, lifeline_.guard([this, rc] { onSubscribeFailed(rc); }));
      break;
    }
    case mqtt::token::Type::DISCONNECT:
      boost::asio::post(executor_, lifeline_.guard([this] { onDisconnected(); }));
      break;
    default:
      break;
  }
}

}  // namespace gw::sources
