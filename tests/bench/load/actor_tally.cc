#include "tests/bench/load/actor_tally.h"

#include "gateway/crypto/key_file.h"
#include "tests/bench/load/bare_publisher.h"
#include "tests/bench/load/load_policy.h"
#include "tests/bench/load/sensor_feeder.h"

namespace gw::load {

ActorTally::ActorTally(int actors, int sources, int first) : first_(first) {
  for (int a = first; a < actors; ++a) actors_.push_back(std::make_unique<PerActor>(sources));
}

ActorTally::~ActorTally() { stop(); }

Status ActorTally::start(const std::string& broker_url, const std::filesystem::path& keys) {
  auto gateway = crypto::readIdentityPublicKeyFile(keys / "gateway.pub");
  if (!gateway.ok()) return gateway.status();
  for (size_t a = 0; a < actors_.size(); ++a) {
    const std::string id = actorId(first_ + static_cast<int>(a));
    auto key = crypto::readSecretKeyFile(keys / (id + ".key"));
    if (!key.ok()) return key.status();
    actor::SubscriberConfig config;
    config.broker_url = broker_url;
    config.identity = {kSite, id, *key, {*gateway}};
    PerActor& per = *actors_[a];
    per.subscriber = std::make_unique<actor::ActorSubscriber>(
        std::move(config), [this, &per](const actor::Delivery& d) { onDelivery(per, d); });
    if (auto st = per.subscriber->start(std::chrono::seconds(10)); !st.ok()) return st;
  }
  return okStatus();
}

void ActorTally::stop() {
  for (auto& per : actors_) {
    if (per->subscriber) per->subscriber->stop();
  }
}

// Runs on Paho's thread, one delivery at a time per client (all of this process's clients share
// Paho's one receive thread, so there is no concurrency between actors either).
void ActorTally::onDelivery(PerActor& per, const actor::Delivery& delivery) {
  const int64_t now_us = wallMicros();
  const auto& r = delivery.received;
  if (r.verdict == actor::Verdict::kDuplicate) ++per.tally.count.envelope_duplicates;
  for (const auto& report : r.reports) {
    if (report.type == actor::Report::Type::kGap) ++per.tally.count.gaps;
  }
  if (r.verdict == actor::Verdict::kRejected) {
    // The bare reference publishes opaque payloads on a topic of its own.
    if (delivery.topic.size() > 6 && delivery.topic.ends_with("/bench")) {
      if (const int64_t sent = bareSendTimeUs(std::string(delivery.payload)); sent >= 0) {
        bare_latency_.push_back({sent, now_us - sent});
      }
      ++bare_seen_;
      last_bare_us_ = now_us;
    } else {
      ++per.tally.count.rejected;
    }
    return;
  }
  if (r.verdict != actor::Verdict::kMessage) return;
  const auto [readings, events] = per.tally.add(r.message, now_us);
  readings_seen_ += readings;
  events_seen_ += events;
  last_data_us_ = now_us;
}

std::pair<int64_t, int64_t> MessageTally::add(const gateway::v1::ActorMessage& m, int64_t now_us) {
  ++count.messages;
  int64_t readings = 0, events = 0;
  if (m.has_measurement()) readings += onReading(m.measurement(), now_us);
  if (m.has_measurement_batch()) {
    for (const auto& reading : m.measurement_batch().readings()) {
      readings += onReading(reading, now_us);
    }
  }
  if (m.has_event() && m.event().detector_id() != "alarm-level") {
    ++count.other_events;  // a camera's fall detector, in a camera run
  } else if (m.has_event()) {
    ++count.events;
    const int64_t sent = sendTimeOf(m.event().observed_unix_ms(), m.event().value());
    alarm_latency.push_back({sent, now_us - sent});
    ++events;
  }
  return {readings, events};
}

int64_t MessageTally::onReading(const gateway::v1::Reading& reading, int64_t now_us) {
  const std::string& src = reading.source_id();
  int source = -1;
  if (src.rfind("src-", 0) == 0) source = std::stoi(src.substr(4));
  if (source < 0 || source >= static_cast<int>(seen.size())) return 0;
  const uint64_t seq = std::stoull(reading.sensor_ref());
  auto& times = seen[static_cast<size_t>(source)];
  if (times.size() <= seq) times.resize(std::max<size_t>(seq + 1, times.size() * 2), 0);
  int64_t fresh = 0;
  if (times[seq]++ == 0) {
    ++count.readings;
    fresh = 1;
  } else {
    ++count.duplicate_readings;
  }
  const int64_t sent = sendTimeOf(reading.observed_unix_ms(), reading.value());
  reading_latency.push_back({sent, now_us - sent});
  return fresh;
}

int64_t MessageTally::distinctReadings(int source) const {
  int64_t n = 0;
  for (uint8_t times : seen[static_cast<size_t>(source)]) {
    if (times > 0) ++n;
  }
  return n;
}

std::vector<ActorCount> ActorTally::counts() const {
  std::vector<ActorCount> out;
  for (const auto& per : actors_) out.push_back(per->tally.count);
  return out;
}

Latencies ActorTally::latencies() const {
  Latencies out;
  out.bare = bare_latency_;
  for (const auto& per : actors_) {
    const auto& t = per->tally;
    out.readings.insert(out.readings.end(), t.reading_latency.begin(), t.reading_latency.end());
    out.alarms.insert(out.alarms.end(), t.alarm_latency.begin(), t.alarm_latency.end());
  }
  return out;
}

}  // namespace gw::load
