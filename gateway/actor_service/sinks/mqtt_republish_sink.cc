#include "gateway/actor_service/sinks/mqtt_republish_sink.h"

#include "gateway/actor/actor_subscriber.h"
#include "gateway/actor_service/sinks/json_lines_sink.h"

namespace gw::actor_service {

MqttRepublishSink::MqttRepublishSink(BrokerSettings broker, std::string topic_prefix,
                                     std::string password, std::chrono::milliseconds timeout)
    : broker_(std::move(broker)),
      topic_prefix_(std::move(topic_prefix)),
      password_(std::move(password)),
      timeout_(timeout) {}

MqttRepublishSink::~MqttRepublishSink() {
  try {
    if (client_ && client_->is_connected()) client_->disconnect()->wait_for(timeout_);
  } catch (const mqtt::exception&) {
    // Going away anyway.
  }
}

bool MqttRepublishSink::ensureConnected(std::string* error) {
  if (client_ && client_->is_connected()) return true;
  try {
    client_.reset();
    const std::string client_id =
        broker_.client_id.empty() ? "lantaarn-actor-republish" : broker_.client_id;
    client_ = std::make_unique<mqtt::async_client>(broker_.url, client_id);
    auto builder = mqtt::connect_options_builder().clean_session(true);
    if (!broker_.username.empty()) builder.user_name(broker_.username);
    if (!password_.empty()) builder.password(password_);
    if (broker_.tls) {
      const auto& t = *broker_.tls;
      builder.ssl(actor::pahoSslOptions({t.ca_file, t.cert_file, t.key_file, t.verify_hostname}));
    }
    if (!client_->connect(builder.finalize())->wait_for(timeout_)) {
      *error = "no connection to " + broker_.url + " within the timeout";
      client_.reset();
      return false;
    }
  } catch (const mqtt::exception& e) {
    *error = "cannot connect to " + broker_.url + ": " + e.what();
    client_.reset();
    return false;
  }
  return true;
}

DeliveryOutcome MqttRepublishSink::deliver(const gateway::v1::SpooledMessage& m) {
  std::string error;
  if (!ensureConnected(&error)) return {DeliveryOutcome::Result::kRetry, error};
  const std::string topic =
      topic_prefix_ + "/" + m.message().site_id() + "/" + messageKind(m.message());
  try {
    auto token = client_->publish(topic, messageJson(m), 1, false);
    if (!token->wait_for(timeout_)) {
      client_.reset();  // a publish that never completes: start over on a fresh connection
      return {DeliveryOutcome::Result::kRetry, "no PUBACK from " + broker_.url + " in time"};
    }
  } catch (const mqtt::exception& e) {
    client_.reset();
    return {DeliveryOutcome::Result::kRetry,
            "publish to " + broker_.url + " failed: " + std::string(e.what())};
  }
  return {};
}

}  // namespace gw::actor_service
