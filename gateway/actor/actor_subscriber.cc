#include "gateway/actor/actor_subscriber.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include "gateway/core/clock.h"
#include "gateway/pipeline/topics.h"

namespace gw::actor {

ActorSubscriber::ActorSubscriber(SubscriberConfig config, Handler handler)
    : config_(std::move(config)),
      handler_(std::move(handler)),
      receiver_(config_.identity, config_.options) {
  if (config_.client_id.empty()) {
    config_.client_id = "lantaarn-actor-" + config_.identity.site_id + "-" +
                        config_.identity.actor_id + "-" + std::to_string(::getpid());
  }
}

ActorSubscriber::~ActorSubscriber() { stop(); }

Status ActorSubscriber::start(std::chrono::milliseconds timeout) {
  try {
    client_ = std::make_unique<mqtt::async_client>(config_.broker_url, config_.client_id);
    client_->set_message_callback([this](const mqtt::const_message_ptr& msg) {
      // Paho runs one client's callbacks one at a time, so the receiver needs no lock.
      Delivery delivery{msg->get_topic(),
                        receiver_.receive(msg->get_payload(), nowUnixMs(), msg->is_retained())};
      handler_(delivery);
    });
    auto builder = mqtt::connect_options_builder()
                       .clean_session(!config_.persistent_session)
                       .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(10));
    if (!config_.username.empty()) builder.user_name(config_.username);
    if (!client_->connect(builder.finalize())->wait_for(timeout)) {
      return unavailable("no connection to " + config_.broker_url + " within timeout");
    }
    const auto filter =
        pipeline::actorTopicFilter(config_.identity.site_id, config_.identity.actor_id);
    if (!client_->subscribe(filter, 1)->wait_for(timeout)) {
      return unavailable("subscription to " + filter + " not acknowledged within timeout");
    }
  } catch (const mqtt::exception& e) {
    return unavailable("MQTT error with " + config_.broker_url + ": " + e.what());
  }
  return okStatus();
}

void ActorSubscriber::stop() {
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
