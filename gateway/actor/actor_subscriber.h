#pragma once
// The actor side over MQTT, as a small library for actors to embed: subscribe to this actor's
// topics and pass every payload through an EnvelopeReceiver, which verifies, decrypts, drops
// duplicates and reports gaps. gatewayctl subscribe is a thin command around it.
//
// Connection: TLS for ssl:// URLs (CA, client certificate and key, host name verification; no
// `tls` means the system's trust store, as for the gateway's publisher), username and password.
// Reconnects are ours, not Paho's: Paho's automatic reconnect does not say whether the broker
// still had our session (the CONNACK's session present flag reaches only the first connect's
// token), and without the session the subscription is gone and the actor would hear nothing
// more (issue 19). So after every reconnect without a session we subscribe again, and, when a
// persistent session was expected, report kSessionLost: what the broker held for us is lost,
// and shows as gaps and checkpoint_incomplete once data flows again.
//
// Protocol: MQTT 5 by default (3.1.1 where the broker refuses 5), announcing a Receive Maximum
// of 65535. Mosquitto then keeps that many messages in flight to this actor; under 3.1.1 it keeps
// 20 (its max_inflight_messages) and queues the rest behind them, where its default
// max_queued_messages of 1000 drops a burst silently while the gateway gets its PUBACKs
// (decision 1330). A persistent session under MQTT 5 carries a Session Expiry Interval.
//
// Silence: per pinned gateway, no authentic envelope for `silence_after` is reported (kSilent)
// with the reason the gateway's retained status gives, and its return (kResumed). See
// stream_watch.h and notice.h.
//
// Threads: the Handler runs on a Paho thread, one delivery at a time. Notices come from that
// thread (kResumed, just before the delivery that ended the silence) or from the subscriber's own
// watch thread (kSilent, kSessionLost); notices are never concurrent with each other, but may be
// concurrent with a delivery: a handler that shares state with the Handler must lock it. Neither
// handler may call stop().
#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "gateway/actor/envelope_receiver.h"
#include "gateway/actor/mqtt_protocol.h"
#include "gateway/actor/notice.h"
#include "gateway/actor/stream_watch.h"
#include "gateway/core/status.h"

namespace gw::actor {

struct TlsSettings {
  std::string ca_file;    // empty: the system's trust store
  std::string cert_file;  // client certificate (PEM), when the broker requires one
  std::string key_file;   // its private key (PEM)
  bool verify_hostname = true;
};

// Paho's TLS options from the settings (server certificate checked, host name as asked); shared
// with the actor service's own MQTT connections.
mqtt::ssl_options pahoSslOptions(const TlsSettings& tls);

struct SubscriberConfig {
  std::string broker_url;  // tcp://host:port or ssl://host:port
  std::string client_id;   // default: lantaarn-actor-<site>-<actor>-<pid>
  std::string username;
  std::string password;  // from a file (readPasswordFile, gateway/core/files.h), never argv
  std::optional<TlsSettings> tls;  // only with ssl:// URLs
  ReceiverIdentity identity;
  ReceiverOptions options;
  // Clean session off, so the broker queues what arrives while this actor is away (or the broker
  // restarts); needs a stable client_id. "Nothing lost" needs it (shared/measurements.md).
  bool persistent_session = false;
  MqttProtocol protocol = MqttProtocol::kAuto;
  // MQTT 5 only: how many unacknowledged messages the broker may send us at once (1..65535).
  uint16_t receive_maximum = 65535;
  // MQTT 5 persistent sessions only: how long the broker keeps the session after we leave.
  std::chrono::seconds session_expiry{86400};
  // 2x the gateway's idle checkpoint interval (30 s): a stream quiet for longer has stopped.
  std::chrono::milliseconds silence_after{60000};
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{10000};
};

struct Delivery {
  std::string topic;
  Received received;
  // What the receiver was given, for an embedder that journals accepted envelopes to restore
  // its receiver after a restart (the actor service's ReceiverStore). Valid during the call.
  std::string_view payload;
  int64_t now_ms = 0;
  bool retained = false;
};

class ActorSubscriber {
 public:
  // Called on a Paho thread, one delivery at a time.
  using Handler = std::function<void(const Delivery&)>;
  using NoticeHandler = std::function<void(const Notice&)>;

  ActorSubscriber(SubscriberConfig config, Handler handler, NoticeHandler notices = {});
  ~ActorSubscriber();
  ActorSubscriber(const ActorSubscriber&) = delete;
  ActorSubscriber& operator=(const ActorSubscriber&) = delete;

  // Connects and subscribes at QoS 1; returns once the broker acknowledged the subscription.
  // InvalidArgument for settings that cannot work (TLS settings without ssl://, an unreadable
  // certificate or key file: named), Unavailable when it cannot connect (refused credentials,
  // an untrusted certificate or a wrong host name: Paho's and OpenSSL's words) or subscribe in
  // time. Reconnects by itself afterwards, until stop().
  Status start(std::chrono::milliseconds timeout);
  void stop();

  // The receiver, for an embedding service to save or restore its state: only on the delivery
  // thread (from within the Handler) or while stopped.
  EnvelopeReceiver& receiver() { return receiver_; }
  // Only while no delivery runs (after stop(), or from within the handler).
  const ReceiverStats& stats() const { return receiver_.stats(); }
  // Whether the broker still had a session for this client id at start() (persistent sessions
  // only): false at a first start, but after an earlier run it means what was queued is lost.
  bool sessionPresentAtStart() const { return session_present_at_start_; }
  // Whether the broker connection is up now; any thread.
  bool connected() const { return connected_.load(); }
  // The protocol spoken since start(): MQTTVERSION_5 or MQTTVERSION_3_1_1.
  int mqttVersion() const { return mqtt_version_; }

 private:
  Status checkSettings() const;
  void createClient(int mqtt_version);
  mqtt::connect_options connectOptions();
  // Connects; on success says whether the broker had our session. Throws mqtt::exception.
  bool connectOnce(std::chrono::milliseconds timeout);
  // The first connect, which may fall back from MQTT 5 to 3.1.1 (kAuto). Throws mqtt::exception.
  bool connectFirst(std::chrono::milliseconds timeout);
  Status subscribeAll(std::chrono::milliseconds timeout);
  void onMessage(const mqtt::const_message_ptr& msg);
  void watchLoop();
  void reconnect();
  void emit(const Notice& notice);  // with watch_mutex_ held

  SubscriberConfig config_;
  Handler handler_;
  NoticeHandler notices_;
  EnvelopeReceiver receiver_;
  std::unique_ptr<mqtt::async_client> client_;
  int mqtt_version_;  // set by start(), before any other thread exists
  bool session_present_at_start_ = false;
  std::atomic<bool> connected_{false};

  // Shared between Paho's threads, the watch thread and stop().
  std::mutex watch_mutex_;
  std::condition_variable wake_;
  std::unique_ptr<StreamWatch> watch_;
  bool lost_ = false;  // the connection dropped: the watch thread reconnects
  int64_t lost_at_ms_ = 0;
  bool stopping_ = false;
  std::thread watch_thread_;
};

// The plaintext as one line of proto3 JSON (proto field names; 64-bit integers are strings).
std::string toJson(const gateway::v1::ActorMessage& message);

}  // namespace gw::actor
