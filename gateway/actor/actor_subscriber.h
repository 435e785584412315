#pragma once
// The actor side over MQTT, as a small library for actors to embed: subscribe to this actor's
// topics and pass every payload through an EnvelopeReceiver, which verifies, decrypts, drops
// duplicates and reports gaps. gatewayctl subscribe is a thin command around it.
#include <mqtt/async_client.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gateway/actor/envelope_receiver.h"
#include "gateway/core/status.h"

namespace gw::actor {

struct SubscriberConfig {
  std::string broker_url;
  std::string client_id;  // default: lantaarn-actor-<site>-<actor>-<pid>
  std::string username;
  ReceiverIdentity identity;
  ReceiverOptions options;
  // Clean session off, so the broker queues what arrives while this actor is away (or the broker
  // restarts); needs a stable client_id. "Nothing lost" needs it (shared/measurements.md).
  bool persistent_session = false;
};

struct Delivery {
  std::string topic;
  Received received;
};

class ActorSubscriber {
 public:
  // Called on a Paho thread, one delivery at a time.
  using Handler = std::function<void(const Delivery&)>;

  ActorSubscriber(SubscriberConfig config, Handler handler);
  ~ActorSubscriber();

  // Connects and subscribes at QoS 1; returns once the broker acknowledged the subscription.
  Status start(std::chrono::milliseconds timeout);
  void stop();

  // Only while no delivery runs (after stop(), or from within the handler).
  const ReceiverStats& stats() const { return receiver_.stats(); }

 private:
  SubscriberConfig config_;
  Handler handler_;
  EnvelopeReceiver receiver_;
  std::unique_ptr<mqtt::async_client> client_;
};

// The plaintext as one line of proto3 JSON (proto field names; 64-bit integers are strings).
std::string toJson(const gateway::v1::ActorMessage& message);

}  // namespace gw::actor
