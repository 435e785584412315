#pragma once
// Publishes the outbox to the broker with Paho's async client at QoS 1.
//
// Flow control is ours, not Paho's: at most `max_inflight` PUBLISHes await their PUBACK at once
// (kept at or below the broker's Receive Maximum), and Paho's buffer is sized above that, so a
// publish is never rejected with "no more messages can be buffered" (-12). An entry leaves the
// outbox only on PUBACK; on a failed publish or a lost connection it is requeued in order and
// sent again after reconnecting (at-least-once; issue 5 adds de-duplication at the actor).
//
// Threading: Paho calls back on its own threads; every callback only post()s to the pipeline
// executor, where all outbox and window state lives.
#include <mqtt/async_client.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/pipeline/stage.h"

namespace gw::publisher {

struct PublisherConfig {
  std::string broker_url;
  std::string client_id;
  std::string username;
  std::string status_topic;  // retained "online" at connect, "offline" as Last Will
  uint32_t max_inflight = 20;
};

class MqttPublisher : private mqtt::iaction_listener {
 public:
  MqttPublisher(PublisherConfig config, boost::asio::any_io_executor executor,
                pipeline::Outbox& outbox, Counters& counters);
  ~MqttPublisher() override;

  // Starts connecting (with automatic reconnect); returns at once.
  Status start();
  // Sends what the window allows. Call on the executor after appending to the outbox.
  void pump();
  // Publishes the retained "offline" status and disconnects; blocks up to `timeout`.
  void stop(std::chrono::milliseconds timeout);

  bool connected() const { return connected_.load(); }

 private:
  void on_success(const mqtt::token& tok) override;
  void on_failure(const mqtt::token& tok) override;
  void onConnected();
  void onConnectionLost(const std::string& cause);
  void retryLater();
  void connectLater();

  PublisherConfig config_;
  boost::asio::any_io_executor executor_;
  pipeline::Outbox& outbox_;
  Counters& counters_;
  std::unique_ptr<mqtt::async_client> client_;
  mqtt::connect_options connect_options_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer reconnect_timer_;
  std::chrono::seconds reconnect_backoff_{1};
  std::atomic<bool> connected_{false};
  bool retry_scheduled_ = false;
  bool stopping_ = false;
};

}  // namespace gw::publisher
