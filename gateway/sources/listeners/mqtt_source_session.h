#pragma once
// The MQTT source's connection to its sensor broker: a persistent session under a stable client
// id, so the broker queues readings for us while we are away (gatewayd restarting, or the source
// pausing because its intake is full). MQTT 5 asks for it with clean_start false and a Session
// Expiry Interval, and sends our Receive Maximum; 3.1.1 with clean_session false. Every CONNACK's
// session_present is read: a broker that forgot the session it had (restarted without
// persistence, session expired) lost what it had queued for us, which is logged and counted
// (`source_sessions_lost_total{source}`).
//
// Threads: open/pause/resume/close run on the pipeline executor; Paho's callbacks only post there
// (through the owner's Lifeline), except the message handler, which Paho runs on its receive
// thread. shutdown() (from the owner's destructor) may run on any thread once the Lifeline ended.
#include <mqtt/async_client.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "gateway/core/counters.h"
#include "gateway/sources/listeners/lifeline.h"
#include "gateway/sources/listeners/mqtt_source_config.h"

namespace gw::sources {

class MqttSourceSession : private mqtt::iaction_listener {
 public:
  // Runs on Paho's receive thread for every message; must not wait (see intake_queue.h).
  using MessageHandler = std::function<void(const mqtt::const_message_ptr&)>;

  // `config` and `lifeline` belong to the owner and outlive this session.
  MqttSourceSession(const MqttSourceConfig& config, boost::asio::any_io_executor executor,
                    const Lifeline& lifeline, Counters& counters, MessageHandler on_message);
  ~MqttSourceSession() override;

  void open();    // connects, and reconnects with backoff whenever the connection is lost
  void pause();   // leaves the broker (it keeps the session and queues) until resume()
  void resume();  // connects again
  void close();   // leaves for good
  // Disconnects (waiting a little) and destroys the Paho client: no callback runs after it.
  void shutdown();

  bool subscribed() const { return subscribed_.load(); }  // any thread

 private:
  enum class State { kIdle, kConnecting, kConnected, kDisconnecting };

  void createClient(int mqtt_version);
  mqtt::connect_options connectOptions() const;
  void connectNow();
  void connectLater();
  void leave();
  void onConnected(bool session_present, int mqtt_version);
  void onConnectFailed(int rc, int reason_code);
  void onConnectionLost(const std::string& cause);
  void subscribe();
  void onSubscribed();
  void onSubscribeFailed(int rc);
  void onDisconnected();

  // Paho threads: post to the executor.
  void on_success(const mqtt::token& tok) override;
  void on_failure(const mqtt::token& tok) override;

  const MqttSourceConfig& config_;
  boost::asio::any_io_executor executor_;
  const Lifeline& lifeline_;
  Counters& counters_;
  MessageHandler on_message_;
  boost::asio::steady_timer reconnect_timer_;
  std::chrono::milliseconds backoff_;

  // Executor only.
  State state_ = State::kIdle;
  int mqtt_version_;
  bool paused_ = false;
  bool closed_ = false;
  bool had_session_ = false;    // a CONNACK said we have a session: from then on it must stay
  bool announced_ = false;      // the first subscription was logged
  bool must_subscribe_ = true;  // until a SUBACK grants the topics on a session the broker keeps
  std::atomic<bool> subscribed_{false};

  std::unique_ptr<mqtt::async_client> client_;
  // A client replaced (protocol fallback) while a Paho thread may still run one of its
  // callbacks: kept until the next replacement or shutdown.
  std::unique_ptr<mqtt::async_client> retired_client_;
};

}  // namespace gw::sources
