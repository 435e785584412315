#pragma once
// Publishes the outbox to the broker with Paho's async client at QoS 1.
//
// Flow control is ours, not Paho's: at most `window()` PUBLISHes await their PUBACK at once. The
// window is the configured max_inflight, lowered to the broker's Receive Maximum from the MQTT 5
// CONNACK (Mosquitto sends 20 by default; a bigger window makes Paho queue internally and
// throughput collapses to ~2k msg/s, shared/measurements.md section 3). Paho's buffer is sized
// above the window, so a publish is never rejected with "no more messages can be buffered" (-12).
// An entry leaves the outbox only on PUBACK; on a failed publish or a lost connection it is
// requeued in order and sent again after reconnecting (at-least-once; actors de-duplicate).
// A lost connection also retires the Paho client for a fresh one, since Paho would otherwise
// send the publishes it still had queued ahead of the requeued ones (decision 1022).
//
// Connection: TLS (CA, client certificate and key, hostname verification) for ssl:// URLs,
// username and password, MQTT 5 (message expiry from the route's ttl per message; content type and
// schema version once, as user properties of the retained birth message) or 3.1.1, chosen by
// `mqtt_version`; `kAuto` tries 5 and falls back to
// 3.1.1 when the broker refuses the protocol version. Reconnects are ours too (Paho's own
// automatic reconnect has no jitter): exponential backoff with equal jitter
// (reconnect_backoff.h). At every connect a retained "online" goes to the status topic; the Last
// Will, retained, says "offline".
//
// Refusals (decision 1300): a PUBACK with an MQTT 5 reason code >= 0x80 is handled per code
// (publish_refusal.h). Retryable: the message goes back and its stream (topic) is held with its
// own backoff (reconnect_min doubling to reconnect_max) while every other stream flows.
// Permanent: the message and every waiting message of its stream are dead-lettered
// (outbox/dead_letter_store.h) and the stream is held (reconnect_min doubling to
// refused_stream_hold_max); then one message goes out as a probe. Holding matters: Mosquitto
// 2.0.11 with `max_queued_messages 0` drops the connection after every refused publish.
// A message that is the oldest in flight at kDisconnectStrikes lost connections in a row, with
// no refusal in those sessions, is dead-lettered too (`broker_disconnects`): a 3.1.1 broker
// that drops the connection on a publish it refuses would otherwise stall all.
// Every resend_check_interval the operator's resend spool is appended to the outbox.
//
// Threading: Paho calls back on its own threads; every callback only post()s to the pipeline
// executor, where all outbox and window state lives.
#include <mqtt/async_client.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/counters.h"
#include "gateway/pipeline/stage.h"
#include "gateway/publisher/reconnect_backoff.h"

namespace gw::publisher {

enum class MqttVersion { kAuto, kV5, kV311 };

struct TlsConfig {
  std::string ca_file;    // empty: the system's trust store
  std::string cert_file;  // client certificate (PEM), when the broker requires one
  std::string key_file;   // its private key (PEM)
  bool verify_hostname = true;
};

struct PublisherConfig {
  std::string broker_url;  // tcp://host:port or ssl://host:port
  std::string client_id;
  std::string username;
  std::string status_topic;  // retained "online" at connect, "offline" as Last Will
  uint32_t max_inflight = 20;
  std::string password;
  std::optional<TlsConfig> tls;  // required for ssl:// URLs (at least to verify the broker)
  MqttVersion mqtt_version = MqttVersion::kAuto;
  std::chrono::milliseconds reconnect_min{1000};
  std::chrono::milliseconds reconnect_max{30000};
  // What the data messages are, so a consumer can tell without opening one. Sent once per
  // connection as MQTT 5 user properties of the retained birth ("online") message on
  // status_topic, not with every data message (decision 1010): the envelope names its own format.
  std::string content_type = "application/x-protobuf; proto=gateway.v1.Envelope";
  std::string schema_version = "lantaarn/v1 envelope/2";
  // How often the dead-letter resend spool (`gatewayctl outbox resend`) is looked at.
  std::chrono::milliseconds resend_check_interval{2000};
  // The longest a stream the broker refused for good waits before the next probe.
  std::chrono::milliseconds refused_stream_hold_max{300000};
};

// Lost connections with the same message oldest in flight before it is dead-lettered.
inline constexpr int kDisconnectStrikes = 3;

// The user property keys of the birth message.
inline constexpr std::string_view kDataContentTypeKey = "data_content_type";
inline constexpr std::string_view kSchemaVersionKey = "schema_version";

// Parses the policy's spelling: auto, 5, 3.1.1.
std::optional<MqttVersion> parseMqttVersion(const std::string& text);

class MqttPublisher : public pipeline::OutboxDrain, private mqtt::iaction_listener {
 public:
  MqttPublisher(PublisherConfig config, boost::asio::any_io_executor executor,
                pipeline::Outbox& outbox, Counters& counters);
  ~MqttPublisher() override;

  // Starts connecting (and reconnecting, with backoff); returns at once.
  Status start();
  // Sends what the window allows. Call on the executor after appending to the outbox.
  void pump() override;
  // Pumps once the executor has worked off what is already queued (other sources' reads), so a
  // burst of appends shares one group commit instead of an fdatasync each (decision 1020).
  void pumpSoon() override;
  // Publishes the retained "offline" status and disconnects; blocks up to `timeout`.
  void stop(std::chrono::milliseconds timeout);

  bool connected() const { return connected_.load(); }
  // The in-flight window in force: max_inflight, clamped to the broker's Receive Maximum.
  uint32_t window() const { return window_.load(); }
  // The protocol of the current (or last) connection: 5 or 4 (3.1.1); 0 before the first.
  int protocolVersion() const { return protocol_version_.load(); }

 private:
  void on_success(const mqtt::token& tok) override;
  void on_failure(const mqtt::token& tok) override;
  Status createClient(int mqtt_version);
  // A fresh Paho client in place of the current one, which is kept until the next replacement;
  // on failure the current one stays.
  Status replaceClient(int mqtt_version);
  mqtt::connect_options connectOptions(int mqtt_version) const;
  void connectNow();
  void onConnected(int mqtt_version, uint32_t receive_maximum);
  void onConnectFailed(int rc, int reason_code);
  void onConnectionLost(const std::string& cause);
  mqtt::message_ptr birthMessage(int mqtt_version) const;
  mqtt::message_ptr dataMessage(const pipeline::OutboundMessage& m, int64_t now_ms) const;
  void retryLater();
  void connectLater();
  void onPublishFailed(uint64_t id, uint64_t session, int reason_code);
  // A retryable refusal: the message waits, its stream is held until its own backoff ends.
  void holdStream(const std::string& topic, const std::string& reason, bool permanent);
  void strikeOldestInFlight();
  void checkResendsLater();
  void pumpAtGroupDeadline();

  // messages_published_total{actor} by actor, looked up once per actor (executor only).
  std::atomic<uint64_t>& publishedCounter(const std::string& actor);

  PublisherConfig config_;
  boost::asio::any_io_executor executor_;
  pipeline::Outbox& outbox_;
  Counters& counters_;
  std::mutex client_mutex_;  // replacing client_ (executor) against stop() (any thread)
  std::unique_ptr<mqtt::async_client> retired_client_;  // the one before client_, idle
  std::unique_ptr<mqtt::async_client> client_;
  int client_version_ = 0;  // the MQTT version client_ was created for
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer reconnect_timer_;
  ReconnectBackoff backoff_;
  std::atomic<bool> connected_{false};
  uint64_t session_ = 0;  // +1 per connection; tags each publish (only the low 16 bits travel)
  std::atomic<uint32_t> window_;
  std::atomic<int> protocol_version_{0};
  bool retry_scheduled_ = false;
  struct HeldStream {
    std::unique_ptr<boost::asio::steady_timer> timer;
    ReconnectBackoff backoff;
  };
  std::map<std::string, HeldStream> held_streams_;  // by topic (executor only)
  std::map<uint64_t, int> disconnect_strikes_;      // entry id -> lost connections (executor)
  bool refused_in_session_ = false;  // a loss right after a refusal is the broker's reaction
  // Paho fails what was in flight just before it reports the lost connection: the oldest of
  // those is the suspect then (the strike), not what is still marked in flight.
  std::optional<uint64_t> failed_oldest_in_session_;
  boost::asio::steady_timer group_timer_;
  bool group_timer_armed_ = false;
  boost::asio::steady_timer resend_timer_;
  bool pump_posted_ = false;  // a pumpSoon() handler is queued
  std::atomic<bool> stopping_{false};
  std::map<std::string, std::atomic<uint64_t>*>
      published_counters_;  // set by stop(), which may run on another thread
};

}  // namespace gw::publisher
