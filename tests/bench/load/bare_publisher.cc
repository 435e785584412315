#include "tests/bench/load/bare_publisher.h"

#include <mqtt/async_client.h>

#include <condition_variable>
#include <mutex>

#include "tests/bench/load/sensor_feeder.h"

namespace gw::load {

namespace {

// Counts PUBACKs and opens the window again; Paho calls it on its own thread.
class AckListener : public mqtt::iaction_listener {
 public:
  void on_success(const mqtt::token&) override { done(); }
  void on_failure(const mqtt::token&) override {
    failed_ = true;
    done();
  }
  void waitBelow(int64_t window) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return outstanding_ < window; });
    ++outstanding_;
  }
  void waitAll() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return outstanding_ == 0; });
  }
  int64_t acked() const { return acked_.load(); }
  int64_t lastAckUs() const { return last_ack_us_.load(); }
  bool failed() const { return failed_.load(); }

 private:
  void done() {
    last_ack_us_ = wallMicros();
    ++acked_;
    std::lock_guard lock(mu_);
    --outstanding_;
    cv_.notify_one();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t outstanding_ = 0;
  std::atomic<int64_t> acked_{0}, last_ack_us_{0};
  std::atomic<bool> failed_{false};
};

}  // namespace

BareResult runBarePublisher(const BarePlan& plan) {
  BareResult result;
  try {
    mqtt::async_client client(
        plan.broker_url, "lantaarn-load-bare",
        mqtt::create_options(plan.mqtt5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1, plan.window + 10));
    auto connect = mqtt::connect_options_builder()
                       .clean_session(!plan.mqtt5)
                       .clean_start(plan.mqtt5)
                       .mqtt_version(plan.mqtt5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1)
                       .max_inflight(plan.window)
                       .finalize();
    client.connect(connect)->wait();
    // Pre-built: the payloads exist before the clock starts, one per topic.
    std::vector<mqtt::message_ptr> messages;
    for (const auto& topic : plan.topics) {
      messages.push_back(mqtt::make_message(topic, std::string(plan.size, 'x'), 1, false));
    }
    AckListener listener;
    result.first_publish_us = wallMicros();
    for (int64_t i = 0; i < plan.count && !listener.failed(); ++i) {
      listener.waitBelow(plan.window);
      client.publish(messages[static_cast<size_t>(i) % messages.size()], nullptr, listener);
    }
    listener.waitAll();
    result.acked = listener.acked();
    result.last_ack_us = listener.lastAckUs();
    if (listener.failed()) result.error = "a publish failed";
    client.disconnect()->wait();
  } catch (const mqtt::exception& e) {
    result.error = e.what();
  }
  return result;
}

}  // namespace gw::load
