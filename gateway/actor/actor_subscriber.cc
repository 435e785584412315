#include "gateway/actor/actor_subscriber.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "gateway/core/clock.h"
#include "gateway/core/files.h"
#include "gateway/core/mqtt_version_refusal.h"
#include "gateway/core/tcp_nodelay.h"
#include "gateway/pipeline/topics.h"

namespace gw::actor {
namespace {

constexpr int kQos = 1;
constexpr std::string_view kStatusSuffix = "/_gateway/status";

bool isTlsUrl(const std::string& url) {
  return url.starts_with("ssl://") || url.starts_with("mqtts://");
}

std::string statusTopic(const std::string& site) {
  return std::string(pipeline::kTopicRoot) + "/" + site + std::string(kStatusSuffix);
}

// Paho's words for a refusal are terse ("CONNACK return code", "TCP/TLS connect failure"): say
// what the actor should check.
// OpenSSL's own words are not available: Paho 1.2's TLS error handler is called with a pointer
// into the connect options it was given by value, gone by then (ASan: stack-use-after-scope).
std::string connectHint(int rc, bool tls) {
  // MQTT 3.1.1 CONNACK return codes 4 and 5 (MQTT 5: 0x86, 0x87).
  if (rc == 4 || rc == 5 || rc == 0x86 || rc == 0x87) {
    return " (not authorised: check the username and the password file)";
  }
  if (tls && rc == MQTTASYNC_FAILURE) {
    return " (no TLS session: is the port a TLS listener, is its certificate signed by the CA "
           "you trust (--tls-ca), and is it for the host name in the URL?)";
  }
  return "";
}

}  // namespace

ActorSubscriber::ActorSubscriber(SubscriberConfig config, Handler handler, NoticeHandler notices)
    : config_(std::move(config)),
      handler_(std::move(handler)),
      notices_(std::move(notices)),
      receiver_(config_.identity, config_.options),
      mqtt_version_(config_.protocol == MqttProtocol::kV311 ? MQTTVERSION_3_1_1 : MQTTVERSION_5) {
  if (config_.client_id.empty()) {
    config_.client_id = "lantaarn-actor-" + config_.identity.site_id + "-" +
                        config_.identity.actor_id + "-" + std::to_string(::getpid());
  }
}

ActorSubscriber::~ActorSubscriber() { stop(); }

// The same rules as the gateway's own broker settings (publisher/broker_rules.cc).
Status ActorSubscriber::checkSettings() const {
  const std::string& url = config_.broker_url;
  if (!isTlsUrl(url) && !url.starts_with("tcp://") && !url.starts_with("mqtt://")) {
    return invalidArgument("'" + url +
                           "' is not a broker URL (expected tcp://host:port or ssl://host:port)");
  }
  if (!config_.password.empty() && config_.username.empty()) {
    return invalidArgument("a password needs a username");
  }
  if (config_.receive_maximum == 0) {
    return invalidArgument("the receive maximum is 1 to 65535 (MQTT 5 forbids 0)");
  }
  if (config_.tls) {
    if (!isTlsUrl(url)) {
      return invalidArgument("TLS settings need an ssl:// broker URL, not " + url);
    }
    if (config_.tls->cert_file.empty() != config_.tls->key_file.empty()) {
      return invalidArgument("the client certificate and its key go together (both or neither)");
    }
    GW_RETURN_IF_ERROR(checkTlsFileReadable(config_.tls->ca_file, "CA file"));
    GW_RETURN_IF_ERROR(checkTlsFileReadable(config_.tls->cert_file, "client certificate"));
    GW_RETURN_IF_ERROR(checkTlsFileReadable(config_.tls->key_file, "client key"));
  }
  return okStatus();
}

mqtt::ssl_options pahoSslOptions(const TlsSettings& tls) {
  auto ssl = mqtt::ssl_options_builder().enable_server_cert_auth(true).verify(tls.verify_hostname);
  if (!tls.ca_file.empty()) ssl.trust_store(tls.ca_file);
  if (!tls.cert_file.empty()) ssl.key_store(tls.cert_file);
  if (!tls.key_file.empty()) ssl.private_key(tls.key_file);
  return ssl.finalize();
}

// A Paho client speaks the one version it was created for, so a fallback makes a new one.
void ActorSubscriber::createClient(int mqtt_version) {
  client_ = std::make_unique<mqtt::async_client>(config_.broker_url, config_.client_id,
                                                 mqtt::create_options(mqtt_version), nullptr);
  mqtt_version_ = mqtt_version;
  client_->set_message_callback([this](const mqtt::const_message_ptr& msg) { onMessage(msg); });
  client_->set_connection_lost_handler([this](const std::string&) {
    std::lock_guard lock(watch_mutex_);
    lost_ = true;
    connected_ = false;
    lost_at_ms_ = nowUnixMs();
    watch_->setConnected(false);
    wake_.notify_all();
  });
}

mqtt::connect_options ActorSubscriber::connectOptions() {
  // The version first: Paho clears the other protocol's session flag when it is set.
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(mqtt_version_)
                     .keep_alive_interval(std::chrono::seconds(20))
                     .connect_timeout(std::chrono::seconds(10));
  if (mqtt_version_ == MQTTVERSION_5) {
    builder.clean_start(!config_.persistent_session);
  } else {
    builder.clean_session(!config_.persistent_session);
  }
  if (!config_.username.empty()) builder.user_name(config_.username);
  if (!config_.password.empty()) builder.password(config_.password);
  if (isTlsUrl(config_.broker_url)) {
    builder.ssl(pahoSslOptions(config_.tls.value_or(TlsSettings{})));
  }
  auto options = builder.finalize();
  if (mqtt_version_ == MQTTVERSION_5) {
    // Without a Session Expiry Interval an MQTT 5 session ends with the connection. Set on the
    // finished options: Paho C++ 1.2 loses properties given to the builder (paho.mqtt.cpp #362).
    const auto expiry =
        config_.persistent_session
            ? static_cast<uint32_t>(std::min<int64_t>(config_.session_expiry.count(), 0xFFFFFFFF))
            : 0U;
    options.set_properties(mqtt::properties{
        {mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int32_t>(expiry)},
        {mqtt::property::RECEIVE_MAXIMUM, static_cast<int32_t>(config_.receive_maximum)}});
  }
  return options;
}

bool ActorSubscriber::connectOnce(std::chrono::milliseconds timeout) {
  auto token = client_->connect(connectOptions());
  if (!token->wait_for(timeout)) {
    throw mqtt::exception(MQTTASYNC_OPERATION_INCOMPLETE, "no CONNACK within the timeout");
  }
  // Our PUBACKs then leave at once, and with them the TCP acknowledgements a broker with Nagle
  // on waits for before its next PUBLISH to us (core/tcp_nodelay.h).
  disableNagleTowardsBroker(config_.broker_url);
  return token->get_connect_response().is_session_present();
}

bool ActorSubscriber::connectFirst(std::chrono::milliseconds timeout) {
  createClient(mqtt_version_);
  try {
    return connectOnce(timeout);
  } catch (const mqtt::exception& e) {
    if (config_.protocol != MqttProtocol::kAuto ||
        !refusedProtocolVersion(e.get_return_code(), e.get_reason_code())) {
      throw;
    }
  }
  // A broker that predates MQTT 5. Reconnects keep to 3.1.1: a broker does not unlearn 5.
  createClient(MQTTVERSION_3_1_1);
  return connectOnce(timeout);
}

Status ActorSubscriber::subscribeAll(std::chrono::milliseconds timeout) {
  const auto filter =
      pipeline::actorTopicFilter(config_.identity.site_id, config_.identity.actor_id);
  try {
    if (!client_->subscribe(filter, kQos)->wait_for(timeout)) {
      return unavailable("subscription to " + filter + " not acknowledged within timeout");
    }
  } catch (const mqtt::exception& e) {
    return unavailable("subscription to " + filter + " refused: " + e.what());
  }
  // The gateways' retained status, only to say why a stream is silent: an ACL that does not
  // grant it costs the reason, not the subscription.
  std::set<std::string> sites;
  for (const auto& gateway : config_.identity.gateways) sites.insert(gateway.owner);
  for (const auto& site : sites) {
    try {
      (void)client_->subscribe(statusTopic(site), kQos)->wait_for(timeout);
    } catch (const mqtt::exception&) {
    }
  }
  return okStatus();
}

Status ActorSubscriber::start(std::chrono::milliseconds timeout) {
  GW_RETURN_IF_ERROR(checkSettings());
  std::vector<StreamWatch::Stream> streams;
  for (const auto& gateway : config_.identity.gateways) {
    if (config_.identity.site_id == "+" || gateway.owner == config_.identity.site_id) {
      streams.push_back({gateway.owner, gateway.key_id});
    }
  }
  watch_ = std::make_unique<StreamWatch>(std::move(streams), config_.silence_after, nowUnixMs());
  try {
    session_present_at_start_ = connectFirst(timeout);
  } catch (const mqtt::exception& e) {
    return unavailable("cannot connect to " + config_.broker_url + ": " + e.what() +
                       connectHint(e.get_return_code(), isTlsUrl(config_.broker_url)));
  }
  // Always, even when the session is present: SUBSCRIBE again replaces the subscription and
  // keeps the queue, and the broker re-sends the retained epoch KEY and status.
  GW_RETURN_IF_ERROR(subscribeAll(timeout));
  connected_ = true;
  watch_thread_ = std::thread([this] { watchLoop(); });
  return okStatus();
}

void ActorSubscriber::onMessage(const mqtt::const_message_ptr& msg) {
  const std::string& topic = msg->get_topic();
  if (topic.ends_with(kStatusSuffix)) {
    const size_t root = std::string_view(pipeline::kTopicRoot).size() + 1;
    if (topic.size() <= root + kStatusSuffix.size()) return;
    const std::string site = topic.substr(root, topic.size() - root - kStatusSuffix.size());
    std::lock_guard lock(watch_mutex_);
    watch_->setStatus(site, msg->get_payload_str());
    return;
  }
  const int64_t now_ms = nowUnixMs();
  // Paho runs one client's callbacks one at a time, so the receiver needs no lock.
  Delivery delivery{topic, receiver_.receive(msg->get_payload(), now_ms, msg->is_retained()),
                    msg->get_payload(), now_ms, msg->is_retained()};
  // Only what the gateway signed and sent now proves the stream alive: not a rejected forgery,
  // not a replayed duplicate, not the retained KEY the broker hands every new subscriber.
  const Verdict v = delivery.received.verdict;
  const bool alive = v == Verdict::kMessage || v == Verdict::kCheckpoint ||
                     (v == Verdict::kKey && !msg->is_retained());
  if (alive) {
    std::lock_guard lock(watch_mutex_);
    if (auto notice = watch_->arrived(delivery.received.header.gateway_key_id(), now_ms)) {
      emit(*notice);
    }
  }
  handler_(delivery);
}

void ActorSubscriber::emit(const Notice& notice) {
  if (notices_) notices_(notice);
}

void ActorSubscriber::watchLoop() {
  // Often enough that a silence is reported within a tenth of its length.
  const auto tick = std::clamp(config_.silence_after / 10, std::chrono::milliseconds(20),
                               std::chrono::milliseconds(1000));
  auto backoff = config_.reconnect_min;
  auto next_attempt = std::chrono::steady_clock::now();
  bool retrying = false;  // lost_ seen, attempts scheduled
  std::unique_lock lock(watch_mutex_);
  while (!stopping_) {
    auto wake_at = std::chrono::steady_clock::now() + tick;
    if (retrying) wake_at = std::min(wake_at, next_attempt);
    wake_.wait_until(lock, wake_at, [&] { return stopping_ || (lost_ && !retrying); });
    if (stopping_) break;
    for (const auto& notice : watch_->check(nowUnixMs())) emit(notice);
    if (lost_ && !retrying) {
      retrying = true;
      backoff = config_.reconnect_min;
      next_attempt = std::chrono::steady_clock::now() + backoff;
      continue;
    }
    if (!lost_ || std::chrono::steady_clock::now() < next_attempt) continue;

    // Reconnect, without the lock: Paho's threads need it for their callbacks meanwhile.
    const int64_t lost_at = lost_at_ms_;
    lost_ = false;  // a loss during the attempt sets it again
    lock.unlock();
    bool connected = false;
    bool session_present = false;
    try {
      session_present = connectOnce(std::chrono::seconds(10));
      connected = true;
    } catch (const mqtt::exception&) {
    }
    if (connected && !session_present) {
      if (config_.persistent_session) {
        // Before subscribing, so the actor hears of the loss before the gaps it causes.
        std::lock_guard relock(watch_mutex_);
        emit(Notice{Notice::Type::kSessionLost, config_.identity.site_id, "", nowUnixMs(), lost_at,
                    "broker restarted without the session"});
      }
      connected = subscribeAll(std::chrono::seconds(10)).ok();
    }
    if (!connected) {
      // Half there (connected, not subscribed) is worse than not at all: start over.
      try {
        if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
      } catch (const mqtt::exception&) {
      }
    }
    lock.lock();
    if (connected) {
      retrying = false;
      if (!lost_) {
        watch_->setConnected(true);
        connected_ = true;
      }
    } else {
      if (!lost_) {
        lost_ = true;
        lost_at_ms_ = lost_at;
      }
      backoff = std::min(backoff * 2, config_.reconnect_max);
      next_attempt = std::chrono::steady_clock::now() + backoff;
    }
  }
}

void ActorSubscriber::stop() {
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watch_thread_.joinable()) watch_thread_.join();
  connected_ = false;
  if (!client_) return;
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // Already gone: nothing left to release.
  }
  client_.reset();
}

std::string toJson(const gateway::v1::ActorMessage& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace gw::actor
