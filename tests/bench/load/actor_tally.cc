#include "tests/bench/load/actor_tally.h"

#include "gateway/crypto/key_file.h"
#include "tests/bench/load/load_policy.h"
#include "tests/bench/load/sensor_feeder.h"

namespace gw::load {

ActorTally::ActorTally(int actors, int sources) : sources_(sources) {
  for (int a = 0; a < actors; ++a) {
    auto per = std::make_unique<PerActor>();
    per->seen.resize(static_cast<size_t>(sources));
    actors_.push_back(std::move(per));
  }
}

ActorTally::~ActorTally() { stop(); }

Status ActorTally::start(const std::string& broker_url, const std::filesystem::path& keys) {
  auto gateway = crypto::readIdentityPublicKeyFile(keys / "gateway.pub");
  if (!gateway.ok()) return gateway.status();
  for (size_t a = 0; a < actors_.size(); ++a) {
    const std::string id = actorId(static_cast<int>(a));
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
  if (r.verdict == actor::Verdict::kDuplicate) ++per.count.envelope_duplicates;
  for (const auto& report : r.reports) {
    if (report.type == actor::Report::Type::kGap) ++per.count.gaps;
  }
  if (r.verdict == actor::Verdict::kRejected) {
    // The bare reference publishes opaque payloads on a topic of its own.
    if (delivery.topic.size() > 6 && delivery.topic.ends_with("/bench")) {
      ++bare_seen_;
      last_bare_us_ = now_us;
    } else {
      ++per.count.rejected;
    }
    return;
  }
  if (r.verdict != actor::Verdict::kMessage) return;
  ++per.count.messages;
  const auto& m = r.message;
  if (m.has_measurement()) onReading(per, m.measurement(), now_us);
  if (m.has_measurement_batch()) {
    for (const auto& reading : m.measurement_batch().readings()) onReading(per, reading, now_us);
  }
  if (m.has_event() && m.event().detector_id() != "alarm-level") {
    ++per.count.other_events;  // a camera's fall detector, in a camera run
  } else if (m.has_event()) {
    ++per.count.events;
    const int64_t sent = sendTimeOf(m.event().observed_unix_ms(), m.event().value());
    per.alarm_latency.push_back({sent, now_us - sent});
    ++events_seen_;
  }
  last_data_us_ = now_us;
}

void ActorTally::onReading(PerActor& per, const gateway::v1::Reading& reading, int64_t now_us) {
  const std::string& src = reading.source_id();
  int source = -1;
  if (src.rfind("src-", 0) == 0) source = std::stoi(src.substr(4));
  if (source < 0 || source >= sources_) return;
  const uint64_t seq = std::stoull(reading.sensor_ref());
  auto& seen = per.seen[static_cast<size_t>(source)];
  if (seen.size() <= seq) seen.resize(std::max<size_t>(seq + 1, seen.size() * 2), 0);
  if (seen[seq]++ == 0) {
    ++per.count.readings;
    ++readings_seen_;
  } else {
    ++per.count.duplicate_readings;
  }
  const int64_t sent = sendTimeOf(reading.observed_unix_ms(), reading.value());
  per.reading_latency.push_back({sent, now_us - sent});
}

std::vector<ActorCount> ActorTally::counts() const {
  std::vector<ActorCount> out;
  for (const auto& per : actors_) out.push_back(per->count);
  return out;
}

Latencies ActorTally::latencies() const {
  Latencies out;
  for (const auto& per : actors_) {
    out.readings.insert(out.readings.end(), per->reading_latency.begin(),
                        per->reading_latency.end());
    out.alarms.insert(out.alarms.end(), per->alarm_latency.begin(), per->alarm_latency.end());
  }
  return out;
}

int64_t ActorTally::distinctReadings(int actor, int source) const {
  int64_t n = 0;
  for (uint8_t times : actors_[static_cast<size_t>(actor)]->seen[static_cast<size_t>(source)]) {
    if (times > 0) ++n;
  }
  return n;
}

}  // namespace gw::load
