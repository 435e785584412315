#pragma once
// Readings from a sensor broker over MQTT: subscribes (QoS 1) to topics on a local or remote
// broker, e.g. The Things Network v3 (`v3/<app>@ttn/devices/+/up`), and parses each message as a
// TTN v3 uplink or as a JSON reading. Nothing it has received is dropped for want of room:
//
//   Paho receive thread --push--> IntakeQueue --drain (pipeline executor)--> parse, drop a
//   redelivery, sequence check, guard --> pending readings --offer--> pipeline
//
// The Paho callback only copies the message into the queue (it must not wait: intake_queue.h).
// The drain offers readings in order; when the pipeline is full it keeps the reading and tries
// again a few ms later. When the queue reaches `intake_buffer` the source leaves the broker (its
// persistent session keeps queueing there) and comes back once half of it is worked off
// (decision 1310). What sits in the queue is lost if gatewayd crashes; at a clean stop it is
// counted (`source_intake_discarded_total`).
#include <mqtt/async_client.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>

#include "gateway/sources/listeners/intake_queue.h"
#include "gateway/sources/listeners/lifeline.h"
#include "gateway/sources/listeners/mqtt_source_config.h"
#include "gateway/sources/listeners/mqtt_source_session.h"
#include "gateway/sources/listeners/recent_messages.h"
#include "gateway/sources/reading_source.h"

namespace gw::sources {

class MqttSubscriptionSource : public ReadingSource {
 public:
  MqttSubscriptionSource(MqttSourceConfig config, boost::asio::any_io_executor executor,
                         pipeline::ReadingSink& sink, Counters& counters);
  ~MqttSubscriptionSource() override;

  const std::string& id() const override { return config_.source_id; }
  void start() override;
  void stop() override;
  bool finished() const override { return false; }
  bool subscribed() const { return session_.subscribed(); }
  size_t queued() const { return queue_.size(); }

 private:
  void onMessage(const mqtt::const_message_ptr& message);  // Paho's receive thread
  void scheduleDrain();                                    // any thread
  // The rest on the pipeline executor.
  void drain();
  bool offerPending();
  void hold(const QueuedMessage& message);
  void retryLater();
  void pauseIfFull();

  MqttSourceConfig config_;
  boost::asio::any_io_executor executor_;
  Lifeline lifeline_;
  Counters& counters_;
  Intake intake_;
  IntakeQueue queue_;
  std::atomic<uint64_t>& enqueued_;  // source_intake_enqueued_total{source}
  std::atomic<uint64_t>& dequeued_;  // source_intake_dequeued_total{source}
  std::atomic<bool> drain_scheduled_{false};
  std::atomic<bool> pause_posted_{false};
  // Executor only.
  std::deque<gateway::v1::Reading> pending_;  // parsed and admitted, refused by a full pipeline
  RecentMessages recent_;                     // to drop a redelivered message
  boost::asio::steady_timer retry_;
  bool paused_ = false;
  // Last: destroyed first, so that no Paho callback outlives the queue it pushes to.
  MqttSourceSession session_;
};

}  // namespace gw::sources
