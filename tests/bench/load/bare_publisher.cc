#include "tests/bench/load/bare_publisher.h"

#include <mqtt/async_client.h>

#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

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

// The payload of one message: its send time, then padding up to `size`.
std::string stampedPayload(size_t size, int64_t now_us) {
  char stamp[kBareStampDigits + 1];
  std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(now_us));
  std::string payload(stamp, kBareStampDigits);
  if (size > payload.size()) payload.append(size - payload.size(), 'x');
  return payload;
}

}  // namespace

int64_t bareSendTimeUs(const std::string& payload) {
  if (payload.size() < kBareStampDigits) return -1;
  int64_t us = 0;
  const auto [end, ec] = std::from_chars(payload.data(), payload.data() + kBareStampDigits, us);
  return ec == std::errc() && end == payload.data() + kBareStampDigits ? us : -1;
}

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
    AckListener listener;
    const auto start = std::chrono::steady_clock::now();
    result.first_publish_us = wallMicros();
    for (int64_t i = 0; i < plan.count && !listener.failed(); ++i) {
      if (plan.rate > 0) {
        // Message i is due i/rate after the start; sleeping in 1 ms steps, as the feeder does.
        const auto due =
            start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(i) / plan.rate));
        while (std::chrono::steady_clock::now() < due) {
          std::this_thread::sleep_for(std::chrono::microseconds(1000));
        }
      }
      listener.waitBelow(plan.window);
      const auto& topic = plan.topics[static_cast<size_t>(i) % plan.topics.size()];
      client.publish(mqtt::make_message(topic, stampedPayload(plan.size, wallMicros()), 1, false),
                     nullptr, listener);
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
