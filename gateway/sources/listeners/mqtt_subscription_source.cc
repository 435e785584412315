#include "gateway/sources/listeners/mqtt_subscription_source.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "gateway/core/clock.h"
#include "gateway/sources/sensor/formats/json_reading.h"

namespace gw::sources {

namespace {
constexpr auto kPipelineFullRetry = std::chrono::milliseconds(5);
// Messages handled per turn on the executor before it yields to the rest of the pipeline.
constexpr size_t kDrainBatch = 256;
// Redeliveries are recognised among this many latest messages (recent_messages.h); about 3 MB.
constexpr size_t kRecentMessages = 65'536;
}  // namespace

MqttSubscriptionSource::MqttSubscriptionSource(MqttSourceConfig config,
                                               boost::asio::any_io_executor executor,
                                               pipeline::ReadingSink& sink, Counters& counters)
    : config_(std::move(config)),
      executor_(std::move(executor)),
      counters_(counters),
      intake_(config_.source_id, config_.guard, sink, counters),
      queue_(config_.intake_buffer),
      enqueued_(counters.get(
          counterKey("source_intake_enqueued_total", {{"source", config_.source_id}}))),
      dequeued_(counters.get(
          counterKey("source_intake_dequeued_total", {{"source", config_.source_id}}))),
      recent_(kRecentMessages),
      retry_(executor_),
      session_(config_, executor_, lifeline_, counters,
               [this](const mqtt::const_message_ptr& message) { onMessage(message); }) {
  counters_.get(counterKey("source_intake_pauses_total", {{"source", config_.source_id}}));
}

MqttSubscriptionSource::~MqttSubscriptionSource() {
  // No executor work of ours runs from here on, then no Paho callback.
  lifeline_.end();
  session_.shutdown();
  const size_t unread = queue_.clear();
  if (unread > 0) {
    counters_.add(counterKey("source_intake_discarded_total", {{"source", config_.source_id}}),
                  unread);
  }
  if (!pending_.empty()) {
    counters_.add(counterKey("readings_dropped_total",
                             {{"source", config_.source_id}, {"reason", "shutdown"}}),
                  pending_.size());
  }
  if (unread > 0 || !pending_.empty()) {
    spdlog::warn(
        "Source stopped with input not yet in the pipeline source={} messages={} "
        "readings={}",
        config_.source_id, unread, pending_.size());
  }
}

void MqttSubscriptionSource::start() {
  boost::asio::post(executor_, lifeline_.guard([this] { session_.open(); }));
}

void MqttSubscriptionSource::stop() {
  boost::asio::post(executor_, lifeline_.guard([this] { session_.close(); }));
}

void MqttSubscriptionSource::onMessage(const mqtt::const_message_ptr& message) {
  // Paho's receive thread, holding Paho's library-wide lock: copy out and return at once.
  const size_t depth = queue_.push({message->get_topic(), message->get_payload_str()});
  enqueued_.fetch_add(1, std::memory_order_relaxed);
  if (depth >= queue_.capacity() && !pause_posted_.exchange(true)) {
    boost::asio::post(executor_, lifeline_.guard([this] { pauseIfFull(); }));
  }
  scheduleDrain();
}

void MqttSubscriptionSource::scheduleDrain() {
  if (drain_scheduled_.exchange(true)) return;
  boost::asio::post(executor_, lifeline_.guard([this] { drain(); }));
}

void MqttSubscriptionSource::pauseIfFull() {
  pause_posted_ = false;
  if (paused_ || !queue_.full()) return;
  paused_ = true;
  counters_.add(counterKey("source_intake_pauses_total", {{"source", config_.source_id}}));
  spdlog::warn(
      "Source intake full source={} queued={}: leaving the broker until half is worked off; "
      "its session queues for us meanwhile (mind its max_queued_messages)",
      config_.source_id, queue_.size());
  session_.pause();
}

void MqttSubscriptionSource::drain() {
  for (size_t n = 0; n < kDrainBatch; ++n) {
    if (!offerPending()) return retryLater();
    auto message = queue_.pop();
    if (!message) break;
    dequeued_.fetch_add(1, std::memory_order_relaxed);
    hold(*message);
  }
  if (!offerPending()) return retryLater();
  if (paused_ && queue_.size() <= queue_.capacity() / 2) {
    paused_ = false;
    spdlog::debug("Source intake half empty source={}: back to the broker", config_.source_id);
    session_.resume();
  }
  // Cleared before looking again, so that a push in between schedules a drain of its own.
  drain_scheduled_ = false;
  if (!queue_.empty()) scheduleDrain();
}

bool MqttSubscriptionSource::offerPending() {
  while (!pending_.empty()) {
    if (intake_.offer(pending_.front()) == IntakeResult::kPipelineFull) return false;
    pending_.pop_front();
  }
  return true;
}

void MqttSubscriptionSource::retryLater() {
  // drain_scheduled_ stays set: the timer is the scheduled drain.
  retry_.expires_after(kPipelineFullRetry);
  retry_.async_wait(lifeline_.guard([this](const boost::system::error_code& ec) {
    if (!ec) drain();
  }));
}

void MqttSubscriptionSource::hold(const QueuedMessage& message) {
  if (message.payload.size() > config_.max_message_bytes) {
    intake_.reject("oversized",
                   message.topic + ": " + std::to_string(message.payload.size()) + " bytes");
    return;
  }
  auto parsed = config_.format == MqttPayloadFormat::kTtnV3Uplink
                    ? parseTtnUplink(message.payload, config_.source_id, config_.ttn)
                    : parseJsonReading(message.payload, config_.source_id);
  if (!parsed.ok()) {
    intake_.reject("malformed", message.topic + ": " + parsed.status().message());
    return;
  }
  if (recent_.seenBefore(message.topic, message.payload)) {
    // A QoS 1 redelivery: the broker had no acknowledgement from us when a connection ended.
    counters_.add(counterKey("readings_dropped_total",
                             {{"source", config_.source_id}, {"reason", "duplicate"}}),
                  parsed->readings.size());
    return;
  }
  for (auto& reading : intake_.screen(*parsed, nowUnixMs())) pending_.push_back(std::move(reading));
}

}  // namespace gw::sources
