#pragma once
// The actor side, as a small library for actors to embed: subscribe to this actor's topics,
// open each sealed message with the actor's secret key and hand over the plaintext.
// gatewayctl subscribe is a thin command around it.
#include <mqtt/async_client.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"
#include "gateway/v1/data.pb.h"

namespace gw::actor {

struct SubscriberConfig {
  std::string broker_url;
  std::string site_id;
  std::string actor_id;
  std::string client_id;  // default: lantaarn-actor-<site>-<actor>-<pid>
  std::string username;
  crypto::SecretKey key;
  // Clean session off, so the broker queues what arrives while this actor is away (or the broker
  // restarts); needs a stable client_id. "Nothing lost" needs it (shared/measurements.md).
  bool persistent_session = false;
};

struct Delivery {
  std::string topic;
  Result<gateway::v1::ActorMessage> message;  // an error when it could not be opened
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

 private:
  SubscriberConfig config_;
  Handler handler_;
  std::unique_ptr<mqtt::async_client> client_;
};

// The plaintext as one line of proto3 JSON (proto field names; 64-bit integers are strings).
std::string toJson(const gateway::v1::ActorMessage& message);

}  // namespace gw::actor
