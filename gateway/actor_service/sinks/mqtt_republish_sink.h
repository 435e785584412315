#pragma once
// Republishes each decrypted message as plain JSON (json_lines_sink.h's line) to the actor's own,
// internal broker, for its dashboards: topic <topic_prefix>/<site>/<kind>, QoS 1, waiting for the
// PUBACK before the spool lets the message go. Connects (TLS, username and password as for the
// gateway's broker) on first use and again after a failure.
#include <mqtt/async_client.h>

#include <memory>

#include "gateway/actor_service/service_config.h"
#include "gateway/actor_service/sinks/sink.h"

namespace gw::actor_service {

class MqttRepublishSink : public Sink {
 public:
  MqttRepublishSink(BrokerSettings broker, std::string topic_prefix, std::string password,
                    std::chrono::milliseconds timeout);
  ~MqttRepublishSink() override;
  DeliveryOutcome deliver(const gateway::v1::SpooledMessage& message) override;

 private:
  bool ensureConnected(std::string* error);

  BrokerSettings broker_;
  std::string topic_prefix_;
  std::string password_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<mqtt::async_client> client_;
};

}  // namespace gw::actor_service
