#include "gateway/publisher/mqtt_publisher.h"

#include "gateway/pipeline/topics.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cmath>
#include <mutex>

#include "gateway/core/clock.h"
#include "gateway/core/mqtt_version_refusal.h"
#include "gateway/core/tcp_nodelay.h"
#include "gateway/publisher/broker_login.h"
#include "gateway/publisher/publish_refusal.h"

namespace gw::publisher {

namespace {
constexpr int kQos = 1;
// Headroom in Paho's command buffer above our window (status messages, a disconnect).
constexpr int kBufferHeadroom = 16;
constexpr auto kRetryAfterReject = std::chrono::milliseconds(50);

// A publish's user context carries its outbox entry id and, in the top 16 bits, the session
// (connection) it was sent in, so that a late failure from a lost session is recognised.
constexpr int kSessionShift = 48;
constexpr uint64_t kEntryMask = (uint64_t{1} << kSessionShift) - 1;

void* contextOf(uint64_t entry_id, uint64_t session) {
  // The context is an opaque tag, not an address: Paho only stores it in the token and hands it
  // back (contextValue), and nothing dereferences it, so no pointer provenance is lost. A pointer
  // to real storage would need that storage to outlive late callbacks from a lost session.
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  return reinterpret_cast<void*>(
      static_cast<uintptr_t>((entry_id & kEntryMask) | (session << kSessionShift)));
}
uint64_t contextValue(const mqtt::token& tok) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(tok.get_user_context()));
}
uint64_t entryIdOf(const mqtt::token& tok) { return contextValue(tok) & kEntryMask; }
uint64_t sessionOf(const mqtt::token& tok) { return contextValue(tok) >> kSessionShift; }
}  // namespace

std::optional<MqttVersion> parseMqttVersion(const std::string& text) {
  if (text.empty() || text == "auto") return MqttVersion::kAuto;
  if (text == "5") return MqttVersion::kV5;
  if (text == "3.1.1") return MqttVersion::kV311;
  return std::nullopt;
}

MqttPublisher::MqttPublisher(PublisherConfig config, boost::asio::any_io_executor executor,
                             pipeline::Outbox& outbox, Counters& counters)
    : config_(std::move(config)),
      executor_(std::move(executor)),
      outbox_(outbox),
      counters_(counters),
      retry_timer_(executor_),
      reconnect_timer_(executor_),
      backoff_(config_.reconnect_min, config_.reconnect_max),
      window_(config_.max_inflight),
      group_timer_(executor_),
      resend_timer_(executor_) {
  // Shown by the metrics endpoint from the first scrape, not only after the first connect.
  counters_.get("broker_connects_total");
  counters_.get("broker_disconnects_total");
}

MqttPublisher::~MqttPublisher() = default;

Status MqttPublisher::start() {
  const int version =
      config_.mqtt_version == MqttVersion::kV311 ? MQTTVERSION_3_1_1 : MQTTVERSION_5;
  GW_RETURN_IF_ERROR(createClient(version));
  spdlog::info("Publisher connecting broker={} client_id={} max_inflight={} mqtt={} tls={}",
               config_.broker_url, config_.client_id, config_.max_inflight,
               version == MQTTVERSION_5 ? "5" : "3.1.1", isTlsUrl(config_.broker_url));
  connectNow();
  boost::asio::post(executor_, [this] { checkResendsLater(); });
  return okStatus();
}

void MqttPublisher::checkResendsLater() {
  resend_timer_.expires_after(config_.resend_check_interval);
  resend_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    auto resent = outbox_.requeueResends();
    if (!resent.ok()) {
      spdlog::warn("Publisher cannot take the dead-letter resend spool: {}",
                   resent.status().message());
    } else if (*resent > 0) {
      counters_.add("outbox_resent_total", *resent);
      spdlog::info("Publisher requeued {} dead-lettered messages the operator asked to resend",
                   *resent);
      pump();
    }
    checkResendsLater();
  });
}

Status MqttPublisher::replaceClient(int mqtt_version) {
  std::lock_guard lock(client_mutex_);
  if (stopping_) return okStatus();
  auto previous = std::move(client_);
  if (Status s = createClient(mqtt_version); !s.ok()) {
    client_ = std::move(previous);  // carry on with the old one rather than with none
    return s;
  }
  // Retired, not destroyed: a Paho thread may still be running one of its callbacks, and
  // destroying a client under a running callback is a use after free. The one retired before is
  // long idle and goes now.
  retired_client_ = std::move(previous);
  return okStatus();
}

Status MqttPublisher::createClient(int mqtt_version) {
  try {
    mqtt::create_options create(mqtt_version,
                                static_cast<int>(config_.max_inflight) + kBufferHeadroom);
    // Paho must not keep publishes across a lost connection and send them itself after the
    // reconnect: they would overtake the in-flight ones the outbox requeues (reordering) and be
    // sent twice. Without this Paho fails them, and the outbox re-sends everything in order.
    create.set_send_while_disconnected(false);
    // No Paho persistence: the outbox owns durability (Paho's file store manages ~2k msg/s).
    client_ = std::make_unique<mqtt::async_client>(config_.broker_url, config_.client_id, create,
                                                   nullptr);
    client_version_ = mqtt_version;
    client_->set_connection_lost_handler([this](const std::string& cause) {
      boost::asio::post(executor_, [this, cause] { onConnectionLost(cause); });
    });
  } catch (const mqtt::exception& e) {
    return invalidArgument("cannot create MQTT client for " + config_.broker_url + ": " + e.what());
  }
  return okStatus();
}

mqtt::connect_options MqttPublisher::connectOptions(int mqtt_version) const {
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(mqtt_version)
                     .keep_alive_interval(std::chrono::seconds(20))
                     .max_inflight(static_cast<int>(config_.max_inflight))
                     .connect_timeout(std::chrono::seconds(10));
  // A fresh session each time: whatever was in flight is resent from the outbox, in order.
  if (mqtt_version == MQTTVERSION_5) {
    builder.clean_session(false).clean_start(true);
  } else {
    builder.clean_session(true);
  }
  if (!config_.status_topic.empty()) {
    builder.will(mqtt::message(config_.status_topic, std::string("offline"), kQos, true));
  }
  addBrokerLogin(builder, config_);
  return builder.finalize();
}

void MqttPublisher::connectNow() {
  if (stopping_) return;
  try {
    client_->connect(connectOptions(client_version_), nullptr, *this);
  } catch (const mqtt::exception& e) {
    spdlog::warn("Publisher connect failed broker={} error=\"{}\"", config_.broker_url, e.what());
    onConnectFailed(e.get_return_code(), e.get_reason_code());
  }
}

void MqttPublisher::onConnected(int mqtt_version, uint32_t receive_maximum) {
  if (stopping_) return;
  connected_ = true;
  backoff_.reset();
  protocol_version_ = mqtt_version;
  // Receive Maximum absent means 65535 (MQTT 5, 3.3.4); 3.1.1 has none.
  const uint32_t window =
      receive_maximum > 0 ? std::min(config_.max_inflight, receive_maximum) : config_.max_inflight;
  window_ = window;
  // Paho never turns Nagle off; each PUBLISH would wait for the ACK of the one before, which a
  // broker with Nagle on (Debian's Mosquitto) sends late (core/tcp_nodelay.h, issue 20).
  disableNagleTowardsBroker(config_.broker_url);
  counters_.add("broker_connects_total");
  spdlog::info("Publisher connected broker={} mqtt={} window={}{}", config_.broker_url,
               mqtt_version == MQTTVERSION_5 ? "5" : "3.1.1", window,
               window < config_.max_inflight ? " (clamped to the broker's Receive Maximum)" : "");
  if (!config_.status_topic.empty()) {
    try {
      client_->publish(birthMessage(mqtt_version));
    } catch (const mqtt::exception& e) {
      spdlog::warn("Publisher could not publish status error=\"{}\"", e.what());
    }
  }
  // A fresh session knows nothing of what was in flight before: send it again, in order.
  ++session_;
  outbox_.requeueAllInFlight();
  pump();
}

void MqttPublisher::onConnectFailed(int rc, int reason_code) {
  connected_ = false;
  counters_.add("broker_connect_failures_total");
  const bool refused_version = refusedProtocolVersion(rc, reason_code);
  if (config_.mqtt_version == MqttVersion::kAuto && client_version_ == MQTTVERSION_5 &&
      refused_version) {
    // A broker that predates MQTT 5: speak 3.1.1 to it from now on (a Paho client is created
    // for one protocol version, so make a new one).
    spdlog::warn("Publisher: broker={} refused MQTT 5 (rc={} reason={}); falling back to 3.1.1",
                 config_.broker_url, rc, reason_code);
    counters_.add("broker_mqtt_version_fallbacks_total");
    if (Status s = replaceClient(MQTTVERSION_3_1_1); !s.ok()) {
      spdlog::error("Publisher: {}", s.message());
      return;
    }
    connectNow();
    return;
  }
  spdlog::warn("Publisher connect attempt failed broker={} rc={} reason={}; retrying",
               config_.broker_url, rc, reason_code);
  connectLater();
}

void MqttPublisher::onConnectionLost(const std::string& cause) {
  connected_ = false;
  counters_.add("broker_disconnects_total");
  spdlog::warn("Publisher lost broker connection broker={} cause=\"{}\"; reconnecting",
               config_.broker_url, cause);
  // The session is over: a late failure from it must not requeue what is requeued here.
  ++session_;
  if (!refused_in_session_) strikeOldestInFlight();
  refused_in_session_ = false;
  failed_oldest_in_session_.reset();
  outbox_.requeueAllInFlight();
  // Paho keeps the publishes it had queued but not yet written when the connection dropped, and
  // writes them right after the next CONNACK, before onConnected() resends the requeued outbox:
  // the tail of the lost window would overtake its head (and arrive twice). A fresh client has
  // no such queue; the old one's commands die with it (decision 1022).
  if (Status s = replaceClient(client_version_); !s.ok()) {
    spdlog::error("Publisher: {}; reconnecting with the old client", s.message());
  }
  connectLater();
}

mqtt::message_ptr MqttPublisher::birthMessage(int mqtt_version) const {
  auto message = mqtt::make_message(config_.status_topic, std::string("online"), kQos, true);
  if (mqtt_version == MQTTVERSION_5) {
    // What every data message of this connection is, said once (decision 1010): retained, so a
    // consumer that subscribes later gets it too. Data messages carry no such properties.
    mqtt::properties properties;
    properties.add(mqtt::property(mqtt::property::CONTENT_TYPE, std::string("text/plain")));
    properties.add(mqtt::property(mqtt::property::USER_PROPERTY, std::string(kDataContentTypeKey),
                                  config_.content_type));
    properties.add(mqtt::property(mqtt::property::USER_PROPERTY, std::string(kSchemaVersionKey),
                                  config_.schema_version));
    message->set_properties(std::move(properties));
  }
  return message;
}

mqtt::message_ptr MqttPublisher::dataMessage(const pipeline::OutboundMessage& m,
                                             int64_t now_ms) const {
  // The key topic is retained so that an actor joining mid-epoch gets the current epoch key.
  auto message = mqtt::make_message(m.topic, m.payload, kQos, pipeline::isRetainedTopic(m.topic));
  if (m.expires_unix_ms != 0 && protocol_version_ == MQTTVERSION_5) {
    // The only per-message property (decision 1010): whole seconds left, rounded up, so the
    // broker drops it for subscribers that come later. Built in place: one MQTTProperties_add,
    // moved into the message, no copy of a base set.
    const auto left =
        static_cast<int32_t>(std::ceil(static_cast<double>(m.expires_unix_ms - now_ms) / 1000.0));
    mqtt::properties properties;
    properties.add(mqtt::property(mqtt::property::MESSAGE_EXPIRY_INTERVAL, std::max(1, left)));
    message->set_properties(std::move(properties));
  }
  return message;
}

void MqttPublisher::pumpSoon() {
  if (pump_posted_) return;
  pump_posted_ = true;
  boost::asio::post(executor_, [this] {
    pump_posted_ = false;
    pump();
  });
}

void MqttPublisher::pump() {
  if (!connected_ || stopping_) return;
  const int64_t now_ms = nowUnixMs();
  while (outbox_.inFlight() < window_) {
    const pipeline::Outbox::Entry* entry = outbox_.takeNext();
    if (entry == nullptr) {
      pumpAtGroupDeadline();
      return;
    }
    if (entry->message.expires_unix_ms != 0 && entry->message.expires_unix_ms <= now_ms) {
      // Its route's ttl passed while it waited (an outage): no longer useful, not sent.
      counters_.add(counterKey("messages_expired_total", {{"actor", entry->message.actor_id}}));
      outbox_.ack(entry->id);
      continue;
    }
    try {
      // The entry id rides in the user context, so the acknowledgement finds its entry.
      client_->publish(dataMessage(entry->message, now_ms), contextOf(entry->id, session_), *this);
      publishedCounter(entry->message.actor_id).fetch_add(1, std::memory_order_relaxed);
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

std::atomic<uint64_t>& MqttPublisher::publishedCounter(const std::string& actor) {
  auto it = published_counters_.find(actor);
  if (it == published_counters_.end()) {
    it = published_counters_
             .emplace(actor,
                      &counters_.get(counterKey("messages_published_total", {{"actor", actor}})))
             .first;
  }
  return *it->second;
}

void MqttPublisher::pumpAtGroupDeadline() {
  // The outbox lets a small group grow while messages are in flight; their PUBACKs would ask
  // again, but a broker may hold PUBACKs back (Nagle): ask again at the group's deadline too.
  const auto deadline = outbox_.groupDeadline();
  if (!deadline || group_timer_armed_) return;
  group_timer_armed_ = true;
  group_timer_.expires_at(*deadline);
  group_timer_.async_wait([this](const boost::system::error_code& ec) {
    group_timer_armed_ = false;
    if (!ec) pump();
  });
}

void MqttPublisher::strikeOldestInFlight() {
  auto oldest = outbox_.oldestInFlight();
  if (failed_oldest_in_session_ && (!oldest || *failed_oldest_in_session_ < *oldest)) {
    oldest = failed_oldest_in_session_;
  }
  failed_oldest_in_session_.reset();
  if (!oldest) return;
  const int strikes = ++disconnect_strikes_[*oldest];
  if (strikes < kDisconnectStrikes) return;
  disconnect_strikes_.erase(*oldest);
  // requeueAllInFlight() follows; a dead letter leaves in flight and waiting alike.
  if (Status s = outbox_.deadLetter(*oldest, "broker_disconnects"); !s.ok()) {
    spdlog::error("Publisher cannot dead-letter message {}: {}", *oldest, s.message());
    return;
  }
  spdlog::warn(
      "Publisher: the broker dropped the connection {} times with message {} oldest in "
      "flight; dead-lettered (reason broker_disconnects)",
      kDisconnectStrikes, *oldest);
}

void MqttPublisher::onPublishFailed(uint64_t id, uint64_t session, int reason_code) {
  // Only an MQTT 5 PUBACK carries a reason code; under 3.1.1 a failure is a local one.
  const auto refusal =
      protocol_version_ == MQTTVERSION_5 ? classifyPubackReason(reason_code) : std::nullopt;
  const bool current = session == (session_ & 0xffff);
  // A failure from a session that is gone: losing it already requeued everything in flight, in
  // order, and the entry may be in flight again in the new session. Requeueing it now would
  // send it twice and out of order. A permanent refusal still holds, whichever session it came
  // in (Mosquitto may drop the connection right after it, and Paho may report the loss first).
  if (!current && (!refusal || refusal->retry)) {
    counters_.add("publish_failed_total");
    return;
  }
  if (!refusal) {
    counters_.add("publish_failed_total");
    if (!failed_oldest_in_session_ || id < *failed_oldest_in_session_) {
      failed_oldest_in_session_ = id;
    }
    outbox_.requeue(id);
    retryLater();
    return;
  }
  const pipeline::Outbox::Entry* entry = outbox_.entry(id);
  if (entry == nullptr) return;  // dead-lettered with its stream already
  const std::string topic = entry->message.topic;
  if (current) refused_in_session_ = true;
  counters_.add(counterKey("publish_refused_total",
                           {{"actor", entry->message.actor_id}, {"reason", refusal->reason}}));
  if (!refusal->retry) {
    // A verdict on the topic refuses the whole stream, each refusal perhaps costing a connection:
    // all of it goes to the dead letters at once, and later messages wait for the next probe.
    Status s = refusal->whole_stream ? outbox_.deadLetterStream(topic, refusal->reason).status()
                                     : outbox_.deadLetter(id, refusal->reason);
    if (s.ok()) {
      if (refusal->whole_stream) holdStream(topic, refusal->reason, true);
      pump();
      return;
    }
    // Cannot store them (disk): they stay, and the stream waits like a retryable refusal.
    spdlog::error("Publisher cannot dead-letter refused messages on {}: {}", topic, s.message());
  }
  if (current) outbox_.requeue(id);
  holdStream(topic, refusal->reason, false);
  pump();
}

void MqttPublisher::holdStream(const std::string& topic, const std::string& reason,
                               bool permanent) {
  auto [it, fresh] = held_streams_.try_emplace(
      topic,
      HeldStream{std::make_unique<boost::asio::steady_timer>(executor_),
                 ReconnectBackoff(config_.reconnect_min, permanent ? config_.refused_stream_hold_max
                                                                   : config_.reconnect_max)});
  HeldStream& held = it->second;
  if (!fresh && held.timer->expiry() > std::chrono::steady_clock::now()) return;  // held already
  outbox_.holdStream(topic);
  const auto delay = held.backoff.next();
  spdlog::warn(
      "Publisher: broker refused a message on topic={} reason={}; holding that stream "
      "for {} ms, the others flow",
      topic, reason, delay.count());
  held.timer->expires_after(delay);
  held.timer->async_wait([this, topic](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    outbox_.resumeStream(topic);
    pump();
  });
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
  const auto delay = backoff_.next();
  spdlog::info("Publisher reconnects in {} ms broker={}", delay.count(), config_.broker_url);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_ || connected_) return;
    connectNow();
  });
}

void MqttPublisher::on_success(const mqtt::token& tok) {
  if (tok.get_type() == mqtt::token::Type::CONNECT) {
    const auto response = tok.get_connect_response();
    uint32_t receive_maximum = 0;
    if (response.get_mqtt_version() == MQTTVERSION_5 &&
        response.get_properties().contains(mqtt::property::RECEIVE_MAXIMUM)) {
      receive_maximum =
          mqtt::get<uint16_t>(response.get_properties(), mqtt::property::RECEIVE_MAXIMUM);
    }
    const int version = response.get_mqtt_version();
    boost::asio::post(executor_,
                      [this, version, receive_maximum] { onConnected(version, receive_maximum); });
    return;
  }
  const uint64_t id = entryIdOf(tok);
  if (id == 0) return;  // not one of ours (no entry attached)
  boost::asio::post(executor_, [this, id] {
    if (!held_streams_.empty()) {
      // The stream flows again: its next refusal starts the backoff afresh. (Not while it is
      // held: a message sent before the refusal may still be acknowledged then.)
      if (const auto* entry = outbox_.entry(id)) {
        auto held = held_streams_.find(entry->message.topic);
        if (held != held_streams_.end() &&
            held->second.timer->expiry() <= std::chrono::steady_clock::now()) {
          held_streams_.erase(held);
        }
      }
    }
    if (!disconnect_strikes_.empty()) disconnect_strikes_.erase(id);
    outbox_.ack(id);
    pump();
  });
}

void MqttPublisher::on_failure(const mqtt::token& tok) {
  if (tok.get_type() == mqtt::token::Type::CONNECT) {
    const int rc = tok.get_return_code();
    const int reason = static_cast<int>(tok.get_reason_code());
    boost::asio::post(executor_, [this, rc, reason] { onConnectFailed(rc, reason); });
    return;
  }
  const uint64_t id = entryIdOf(tok);
  if (id == 0) return;
  const uint64_t session = sessionOf(tok);
  const int reason_code = static_cast<int>(tok.get_reason_code());
  boost::asio::post(
      executor_, [this, id, session, reason_code] { onPublishFailed(id, session, reason_code); });
}

void MqttPublisher::stop(std::chrono::milliseconds timeout) {
  stopping_ = true;
  // The timers belong to the executor's thread (stop() may be called from another one); their
  // handlers see stopping_ and do nothing, so cancelling them is only tidiness.
  boost::asio::post(executor_, [this] {
    retry_timer_.cancel();
    reconnect_timer_.cancel();
    group_timer_.cancel();
    resend_timer_.cancel();
    for (auto& [topic, held] : held_streams_) held.timer->cancel();
  });
  // client_ is replaced on the executor when a connection drops; replaceClient() sees
  // stopping_ under this lock and leaves it alone from here on.
  std::lock_guard lock(client_mutex_);
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
